"""What a user asks the customers service to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from crm_contracts.customers import LifecycleStage

from crm_customers.domain.model import CustomerKind


@dataclass(frozen=True)
class CreateCustomer:
    name: str
    kind: CustomerKind = CustomerKind.COMPANY
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    branch_id: str | None = None
    owner_id: str | None = None
    category: str | None = None
    industry: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: UUID
    expected_version: int | None
    changes: dict[str, str | None] = field(default_factory=dict)
