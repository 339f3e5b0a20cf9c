"""A contact person of a customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from crm_customers.domain.model import DomainError

EDITABLE = ("name", "title", "phone", "email", "is_primary")


@dataclass
class Contact:
    id: UUID
    tenant_id: str
    customer_id: UUID
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    is_primary: bool = False
    unsubscribed_at: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted_at: datetime | None = None
    changed: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def add(cls, *, tenant_id: str, customer_id: UUID, name: str, **values: Any) -> Contact:
        contact = cls(id=uuid4(), tenant_id=tenant_id, customer_id=customer_id, name=name, **values)
        contact.changed = True
        return contact

    def update(self, changes: dict[str, Any], *, now: datetime) -> None:
        unknown = set(changes) - set(EDITABLE) - {"unsubscribed"}
        if unknown:
            raise DomainError(f"not editable: {', '.join(sorted(unknown))}")
        if "unsubscribed" in changes:
            wanted = bool(changes.pop("unsubscribed"))
            if wanted != (self.unsubscribed_at is not None):
                self.unsubscribed_at = now if wanted else None
                self.changed = True
        for key, value in changes.items():
            if getattr(self, key) != value:
                setattr(self, key, value)
                self.changed = True
        if self.changed:
            self.version += 1
            self.updated_at = now

    def move_to(self, customer_id: UUID, *, now: datetime) -> None:
        """Its customer was merged into another."""
        self.customer_id = customer_id
        self.version += 1
        self.updated_at = now
        self.changed = True

    def delete(self, *, now: datetime) -> None:
        self.deleted_at = now
        self.version += 1
        self.changed = True
