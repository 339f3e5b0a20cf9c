"""What a user (or another service, or a job) asks the customers service to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from crm_contracts.customers import LifecycleStage

from crm_customers.domain.interaction import Channel
from crm_customers.domain.model import CustomerKind


@dataclass(frozen=True)
class CreateCustomer:
    name: str
    kind: CustomerKind = CustomerKind.COMPANY
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    branch_id: str | None = None
    owner_id: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: UUID
    expected_version: int | None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeStage:
    customer_id: UUID
    expected_version: int | None
    stage: LifecycleStage
    reason: str | None = None


@dataclass(frozen=True)
class AssignCustomer:
    customer_id: UUID
    owner_id: str | None
    branch_id: str | None = None


@dataclass(frozen=True)
class LogInteraction:
    customer_id: UUID
    occurred_at: datetime
    place: str
    channel: Channel
    content: str
    outcome: str
    next_step: str
    next_step_due: date
    contact_id: UUID | None = None


@dataclass(frozen=True)
class MergeCustomers:
    survivor_id: UUID
    duplicate_id: UUID
