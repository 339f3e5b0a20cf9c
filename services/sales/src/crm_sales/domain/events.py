"""What happened, as the domain sees it: only what changed and who did it.

Aggregates record these; the unit of work maps each one, together with the aggregate's
state, to its wire contract (adapters/event_mapping.py). Field names match the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from crm_contracts.sales import (
    CampaignResponseKind,
    OpportunityOwnerChangeReason,
    RecordMoveReason,
)


@dataclass(frozen=True)
class Change:
    old: str | None
    new: str | None


@dataclass(frozen=True, kw_only=True)
class Created:
    created_by: str


@dataclass(frozen=True, kw_only=True)
class Updated:
    changes: dict[str, Change]
    updated_by: str


@dataclass(frozen=True, kw_only=True)
class MovedToCustomer:
    old_customer_id: UUID
    reason: RecordMoveReason
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class Reconfigured:
    changed_by: str


# -- opportunities ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StageChanged:
    old_stage: str
    new_stage: str
    old_probability: int
    new_probability: int
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class ProbabilityChanged:
    old_probability: int
    new_probability: int
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class AmountChanged:
    old_amount: Decimal
    old_currency: str
    new_amount: Decimal
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class CloseDateChanged:
    old_close_date: date
    new_close_date: date
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class Won:
    won_by: str


@dataclass(frozen=True, kw_only=True)
class Lost:
    reason: str
    lost_by: str


@dataclass(frozen=True, kw_only=True)
class Reopened:
    old_stage: str
    new_stage: str
    reopened_by: str


@dataclass(frozen=True, kw_only=True)
class OwnerChanged:
    old_owner_id: str
    new_owner_id: str
    reason: OpportunityOwnerChangeReason
    changed_by: str


# -- quotes and orders -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Revised:
    revised_by: str


@dataclass(frozen=True, kw_only=True)
class LossAlarmRaised:
    lines_below_cost: list[int]
    total_below_cost: bool


@dataclass(frozen=True, kw_only=True)
class Approved:
    approved_by: str


@dataclass(frozen=True, kw_only=True)
class Sent:
    sent_by: str


@dataclass(frozen=True, kw_only=True)
class Accepted:
    order_id: UUID | None
    contract_id: UUID | None
    accepted_by: str


@dataclass(frozen=True, kw_only=True)
class Rejected:
    reason: str | None
    rejected_by: str


@dataclass(frozen=True, kw_only=True)
class Confirmed:
    confirmed_by: str


@dataclass(frozen=True, kw_only=True)
class Cancelled:
    reason: str
    cancelled_by: str


# -- contracts -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Expiring:
    days_left: int


@dataclass(frozen=True, kw_only=True)
class NotRenewed:
    pass


@dataclass(frozen=True, kw_only=True)
class Renewed:
    next_contract_id: UUID
    next_start_date: date
    next_end_date: date
    renewed_by: str


# -- tasks -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Rescheduled:
    old_start_at: datetime
    old_duration_minutes: int
    rescheduled_by: str


@dataclass(frozen=True, kw_only=True)
class Reassigned:
    old_assignee_id: str
    reassigned_by: str


@dataclass(frozen=True, kw_only=True)
class Completed:
    completed_by: str


@dataclass(frozen=True, kw_only=True)
class Overdue:
    overdue_on: date
    days_overdue: int


# -- campaigns -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ResponseRecorded:
    response: CampaignResponseKind
    responded_at: datetime
    recorded_by: str


Event = (
    Created
    | Updated
    | MovedToCustomer
    | Reconfigured
    | StageChanged
    | ProbabilityChanged
    | AmountChanged
    | CloseDateChanged
    | Won
    | Lost
    | Reopened
    | OwnerChanged
    | Revised
    | LossAlarmRaised
    | Approved
    | Sent
    | Accepted
    | Rejected
    | Confirmed
    | Cancelled
    | Expiring
    | NotRenewed
    | Renewed
    | Rescheduled
    | Reassigned
    | Completed
    | Overdue
    | ResponseRecorded
)
