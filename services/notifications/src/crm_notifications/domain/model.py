"""Errors of the notifications domain; the API maps them to problem+json."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out as asked (422)."""


class NotFoundError(DomainError):
    """Nothing of that id within the caller's scope (404)."""


class ConflictError(DomainError):
    """The request contradicts the current state (409)."""
