"""Domain errors: a broken rule, named so the API can answer 422, 409 or 403."""

from __future__ import annotations


class DomainError(Exception):
    """A sales rule refused the input (422); `field` names the input to blame, if one is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StateConflict(DomainError):
    """The record's current state does not allow this now (409), e.g. sending a sent quote."""


class NotPermitted(DomainError):
    """The rule needs someone else to do this (403), e.g. a manager or a second person."""
