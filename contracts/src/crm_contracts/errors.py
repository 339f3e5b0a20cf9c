"""Errors raised by the contracts package.

Consumers catch these to tell a poison message (dead-letter it) from a bug of their own.
"""

from pydantic import ValidationError


class ContractError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidEvent(ContractError, ValueError):
    """Bytes or data that do not form a valid event: retrying will not help."""


class UnknownEventType(ContractError, LookupError):
    """An event type no payload model is registered for (newer producer, or a typo)."""

    def __str__(self) -> str:
        # LookupError would otherwise repr() a single argument like KeyError does.
        return str(self.args[0]) if self.args else ""


class DuplicateEventType(ContractError, ValueError):
    """A second registration of an event type or of a payload model."""


def describe(exc: ValidationError) -> str:
    """One line per failed field, without echoing the (possibly personal) input."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
