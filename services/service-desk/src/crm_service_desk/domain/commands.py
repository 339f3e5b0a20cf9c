"""What agents, portal contacts and other services ask the service desk to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from crm_contracts.service_desk import TicketChannel, TicketPriority, TicketStatus

from crm_service_desk.domain.ticket import Attachment


@dataclass(frozen=True)
class OpenTicket:
    customer_id: UUID
    subject: str
    description: str
    channel: TicketChannel
    priority: TicketPriority = TicketPriority.NORMAL
    contact_id: UUID | None = None
    asset_id: UUID | None = None
    category: str | None = None
    assignee_id: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class UpdateTicket:
    """Only the fields present change; `priority` and `assignee_id` have their own events."""

    ticket_id: UUID
    expected_version: int | None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeStatus:
    ticket_id: UUID
    expected_version: int | None
    status: TicketStatus
    reason: str | None = None


@dataclass(frozen=True)
class AddComment:
    ticket_id: UUID
    body: str
    internal: bool = False
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class AnswerSurvey:
    ticket_id: UUID
    score: int
    comment: str | None = None
    category: str | None = None
