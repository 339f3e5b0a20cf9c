"""What happened, as the domain sees it (mapped to contracts on the way out).

Each event carries the aggregate version it produced (the CloudEvent `sequence`) and
captures, when it is recorded, the facts that may change later in the same command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_contracts.service_desk import (
    RelocationReason,
    SlaClockKind,
    TicketPriority,
    TicketStatus,
)


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime | None
    resolution_due: datetime | None


@dataclass(frozen=True)
class TicketOpened:
    version: int


@dataclass(frozen=True)
class TicketUpdated:
    version: int
    changes: dict[str, tuple[Any, Any]]
    by: str


@dataclass(frozen=True)
class TicketAssigned:
    version: int
    old: str | None
    new: str | None
    by: str


@dataclass(frozen=True)
class PriorityChanged:
    version: int
    old: TicketPriority
    new: TicketPriority
    by: str
    deadlines: Deadlines


@dataclass(frozen=True)
class StatusChanged:
    version: int
    old: TicketStatus
    new: TicketStatus
    by: str
    reason: str | None
    deadlines: Deadlines


@dataclass(frozen=True)
class Commented:
    version: int
    comment_id: UUID
    first_response: bool


@dataclass(frozen=True)
class SlaWarned:
    version: int
    clock: SlaClockKind
    due_at: datetime


@dataclass(frozen=True)
class SlaBreached:
    version: int
    clock: SlaClockKind
    due_at: datetime


@dataclass(frozen=True)
class Escalated:
    version: int
    clock: SlaClockKind


@dataclass(frozen=True)
class Relocated:
    """A ticket or an asset followed its customer."""

    version: int
    old_customer_id: UUID
    old_branch_id: str
    reason: RelocationReason


@dataclass(frozen=True)
class AssetRegistered:
    version: int


@dataclass(frozen=True)
class AssetUpdated:
    version: int
    changes: dict[str, tuple[Any, Any]]
    by: str


@dataclass(frozen=True)
class SurveyAnswered:
    version: int


@dataclass(frozen=True)
class AnnouncementChanged:
    version: int
    by: str


TicketEvent = (
    TicketOpened
    | TicketUpdated
    | TicketAssigned
    | PriorityChanged
    | StatusChanged
    | Commented
    | SlaWarned
    | SlaBreached
    | Escalated
    | Relocated
)
AssetEvent = AssetRegistered | AssetUpdated | Relocated
