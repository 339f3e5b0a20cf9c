"""An interaction with a customer (003): time, place, channel, content, outcome, next step.

Closing it makes it a record of what happened: no edit and no delete afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from crm_customers.domain.model import ConflictError, DomainError


class Channel(StrEnum):
    VISIT = "visit"
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    MESSAGE = "message"
    OTHER = "other"


EDITABLE = (
    "occurred_at",
    "place",
    "channel",
    "content",
    "outcome",
    "next_step",
    "next_step_due",
    "contact_id",
)


@dataclass
class Interaction:
    id: UUID
    tenant_id: str
    customer_id: UUID
    author_id: str
    occurred_at: datetime
    place: str
    channel: Channel
    content: str
    outcome: str
    next_step: str
    next_step_due: date
    contact_id: UUID | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted_at: datetime | None = None
    logged: bool = field(default=False, repr=False, compare=False)
    just_closed: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def log(
        cls, *, tenant_id: str, customer_id: UUID, author_id: str, **values: Any
    ) -> Interaction:
        interaction = cls(
            id=uuid4(), tenant_id=tenant_id, customer_id=customer_id, author_id=author_id, **values
        )
        if interaction.next_step_due < interaction.occurred_at.date():
            raise DomainError("next_step_due cannot be before the interaction took place")
        interaction.logged = True
        return interaction

    def edit(self, changes: dict[str, Any]) -> None:
        self._ensure_open("changed")
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise DomainError(f"not editable: {', '.join(sorted(unknown))}")
        for key, value in changes.items():
            setattr(self, key, value)
        if self.next_step_due < self.occurred_at.date():
            raise DomainError("next_step_due cannot be before the interaction took place")
        self.version += 1

    def close(self, *, by: str, now: datetime) -> None:
        self._ensure_open("closed again")
        self.closed_at, self.closed_by = now, by
        self.version += 1
        self.just_closed = True

    def delete(self, *, now: datetime) -> None:
        self._ensure_open("deleted")
        self.deleted_at = now
        self.version += 1

    def _ensure_open(self, what: str) -> None:
        if self.closed_at is not None:
            raise ConflictError(f"a closed interaction cannot be {what}")
