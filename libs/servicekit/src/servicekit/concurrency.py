"""Optimistic concurrency over HTTP: `ETag` carries the record version, `If-Match` checks it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from servicekit.errors import FieldError, PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(if_match: str | None) -> int | None:
    """The version the client last saw; None for `*` (any version)."""
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag you read, so a concurrent change is not overwritten.",
            errors=[FieldError("If-Match", "required")],
        )
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(
            f"If-Match {if_match!r} is not an ETag of this resource",
            errors=[FieldError("If-Match", "not an ETag issued by this service")],
        )
    return int(value)


def check_version(expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The record changed since you read it (you have version {expected}, "
            f"it is now {current}); read it again and reapply your change.",
            current_version=current,
        )


async def _if_match(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    return parse_if_match(if_match)


IfMatch = Annotated[int | None, Depends(_if_match)]
