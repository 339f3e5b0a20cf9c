"""The Customer aggregate: a company asset with one owner, never a rep's private list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from crm_contracts.customers import LifecycleStage

from crm_customers.domain import events


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class DomainError(Exception):
    """A rule of the customer base was broken; the API answers 422 or 409."""


EDITABLE_FIELDS = ("name", "category", "industry", "phone", "email")


@dataclass
class Customer:
    id: UUID
    tenant_id: str
    branch_id: str
    name: str
    kind: CustomerKind
    lifecycle_stage: LifecycleStage
    owner_id: str | None
    created_by: str
    category: str | None = None
    industry: str | None = None
    phone: str | None = None
    email: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        tenant_id: str,
        branch_id: str,
        name: str,
        kind: CustomerKind,
        created_by: str,
        owner_id: str | None = None,
        lifecycle_stage: LifecycleStage = LifecycleStage.LEAD,
        category: str | None = None,
        industry: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> Customer:
        if lifecycle_stage in (LifecycleStage.CHURNED, LifecycleStage.LOST):
            raise DomainError(f"a new customer cannot start as {lifecycle_stage.value}")
        customer = cls(
            id=uuid4(),
            tenant_id=tenant_id,
            branch_id=branch_id,
            name=name,
            kind=kind,
            lifecycle_stage=lifecycle_stage,
            owner_id=owner_id,
            created_by=created_by,
            category=category,
            industry=industry,
            phone=phone,
            email=email,
        )
        customer.events.append(events.CustomerCreated(customer.id, customer.version))
        return customer

    def update(self, changes: dict[str, str | None], *, by: str) -> None:
        """Change basic info; records what changed (old and new) for integrators."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise DomainError(f"not editable here: {', '.join(sorted(unknown))}")
        if "name" in changes and not changes["name"]:
            raise DomainError("name cannot be empty")
        diff = {k: (getattr(self, k), v) for k, v in changes.items() if getattr(self, k) != v}
        if not diff:
            return
        for key, (_, new) in diff.items():
            setattr(self, key, new)
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self.events.append(events.CustomerUpdated(self.id, self.version, diff, by))
