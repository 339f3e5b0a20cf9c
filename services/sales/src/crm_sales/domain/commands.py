"""What a user asks the sales service to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_contracts.sales import (
    CampaignChannel,
    CampaignResponseKind,
    ExpenseCategory,
    TaskMethod,
)

from crm_sales.domain.pipeline import Stage


@dataclass(frozen=True, kw_only=True)
class OnRecord:
    """A change to an existing record, made by someone who read `expected_version`."""

    id: UUID
    expected_version: int | None


@dataclass(frozen=True, kw_only=True)
class Edit(OnRecord):
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Configure:
    stages: tuple[Stage, ...]
    timezone: str
    expiring_days_ahead: int
    expected_version: int | None


@dataclass(frozen=True, kw_only=True)
class AddProduct:
    sku: str
    name: str
    list_price: Decimal
    unit_cost: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class OpenOpportunity:
    customer_id: UUID
    name: str
    amount: Decimal
    currency: str
    expected_close_date: date
    stage: str | None = None
    probability: int | None = None
    owner_id: str | None = None
    campaign_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class MoveStage(OnRecord):
    stage: str


@dataclass(frozen=True, kw_only=True)
class Lose(OnRecord):
    reason: str


@dataclass(frozen=True, kw_only=True)
class Reopen(OnRecord):
    stage: str | None = None


@dataclass(frozen=True, kw_only=True)
class Assign(OnRecord):
    assignee_id: str


@dataclass(frozen=True, kw_only=True)
class LineInput:
    product_id: UUID
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class Pricing:
    lines: tuple[LineInput, ...]
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class DraftQuote(Pricing):
    customer_id: UUID
    currency: str
    opportunity_id: UUID | None = None
    valid_until: date | None = None


@dataclass(frozen=True, kw_only=True)
class ReviseQuote(OnRecord, Pricing):
    valid_until: date | None = None


@dataclass(frozen=True, kw_only=True)
class ContractTerms:
    start_date: date
    end_date: date
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class AcceptQuote(OnRecord):
    create_order: bool = True
    contract: ContractTerms | None = None


@dataclass(frozen=True, kw_only=True)
class Decline(OnRecord):
    """Reject a quote or an expense, cancel an order: with a reason."""

    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Pricing):
    customer_id: UUID
    currency: str


@dataclass(frozen=True, kw_only=True)
class StartContract:
    customer_id: UUID
    name: str
    start_date: date
    end_date: date
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenewContract(OnRecord):
    end_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class PlanTask:
    customer_id: UUID
    subject: str
    method: TaskMethod
    start_at: datetime
    duration_minutes: int
    assignee_id: str | None = None
    reminder_at: datetime | None = None
    contact_id: UUID | None = None
    opportunity_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class RescheduleTask(OnRecord):
    start_at: datetime
    duration_minutes: int | None = None
    reminder_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteTask(OnRecord):
    outcome: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordExpense:
    customer_id: UUID
    contact_id: UUID
    amount: Decimal
    currency: str
    category: ExpenseCategory
    incurred_on: date
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlanCampaign:
    name: str
    segment_id: UUID
    channel: CampaignChannel
    budget: Decimal
    currency: str
    start_date: date
    end_date: date


@dataclass(frozen=True, kw_only=True)
class RecordResponse:
    campaign_id: UUID
    contact_id: UUID
    response: CampaignResponseKind
    responded_at: datetime | None = None
