"""Request and response schemas of the tickets, portal and assets routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from crm_contracts.service_desk import (
    AuthorKind,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crm_service_desk.domain.ticket import Attachment

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _refuse_null(value: T) -> T:
    if value is None:
        raise ValueError("cannot be null; leave it out to keep the current value")
    return value


# In a partial update, a field left out keeps its value; these may not be cleared with null.
Kept = AfterValidator(_refuse_null)


class AttachmentIn(Schema):
    """Metadata of a file already stored in the company's file store."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)]
    size_bytes: int = Field(ge=0, le=2 * 1024**3)
    url: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9+.-]*://\S+$", max_length=2000)]


Attachments = Annotated[list[AttachmentIn], Field(max_length=20)]


def attachments(items: list[AttachmentIn]) -> tuple[Attachment, ...]:
    return tuple(Attachment(**a.model_dump()) for a in items)


class AttachmentRead(ReadSchema):
    filename: str
    content_type: str
    size_bytes: int
    url: str


# -- tickets (staff) -------------------------------------------------------------------------

TICKET_EXAMPLE: dict[str, Any] = {
    "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
    "subject": "Forklift FRK-200 does not lift",
    "description": "Hydraulics lose pressure after ten minutes of work.",
    "priority": "high",
    "channel": "phone",
    "category": "repair",
}


class TicketCreate(Schema):
    customer_id: UUID
    subject: Subject
    description: LongText
    channel: TicketChannel
    priority: TicketPriority = TicketPriority.NORMAL
    contact_id: UUID | None = None
    asset_id: UUID | None = None
    category: Slug | None = None
    assignee_id: UserId | None = None
    attachments: Attachments = Field(default_factory=list)

    model_config = ConfigDict(json_schema_extra={"examples": [TICKET_EXAMPLE]})


class TicketUpdate(Schema):
    """Only the fields sent change; a new priority recomputes the SLA deadlines."""

    subject: Annotated[Subject | None, Kept] = None
    description: Annotated[LongText | None, Kept] = None
    category: Slug | None = None
    contact_id: UUID | None = None
    asset_id: UUID | None = None
    priority: Annotated[TicketPriority | None, Kept] = None
    assignee_id: UserId | None = Field(default=None, description="null: back to the queue.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"priority": "urgent", "assignee_id": "agent"}]}
    )


class StatusChange(Schema):
    status: TicketStatus
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "pending"}]})


class ClockRead(ReadSchema):
    due_at: datetime | None = Field(description="Deadline; null when met or paused.")
    met_at: datetime | None
    paused: bool = Field(description="Stopped while the ticket is pending on the customer.")
    warned: bool
    breached: bool


class TicketRead(ReadSchema):
    id: UUID
    branch_id: str
    customer_id: UUID
    contact_id: UUID | None
    asset_id: UUID | None
    subject: str
    description: str
    category: str | None
    priority: TicketPriority
    channel: TicketChannel
    status: TicketStatus
    assignee_id: str | None
    opened_by: str
    out_of_warranty: bool = Field(description="The asset's warranty had ended when opened.")
    escalated: bool = Field(description="An SLA was breached: the branch managers were told.")
    attachments: list[AttachmentRead]
    first_response: ClockRead
    resolution: ClockRead
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class CommentCreate(Schema):
    body: LongText
    internal: bool = Field(default=False, description="A note for staff, never on the portal.")
    attachments: Attachments = Field(default_factory=list)


class CommentRead(ReadSchema):
    id: UUID
    ticket_id: UUID
    author_id: str
    author_kind: AuthorKind
    internal: bool
    body: str
    attachments: list[AttachmentRead]
    created_at: datetime


class SurveyCreate(Schema):
    score: int = Field(ge=1, le=5, description="1 very unsatisfied … 5 very satisfied.")
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None
    category: Slug | None = Field(
        default=None, description="What is rated (e.g. `response_speed`); none: overall."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"score": 5, "comment": "Fast"}]})


class SurveyRead(ReadSchema):
    id: UUID
    ticket_id: UUID
    customer_id: UUID
    score: int
    comment: str | None
    category: str | None
    answered_by: str
    answered_at: datetime


# -- the portal: what a customer's contact may send and see ---------------------------------


class PortalTicketCreate(Schema):
    """No priority, assignee or internal flags: the service desk sets those (sending one is
    refused with 422)."""

    subject: Subject
    description: LongText
    contact_id: UUID | None = None
    asset_id: UUID | None = None
    category: Slug | None = None
    attachments: Attachments = Field(default_factory=list)


class PortalCommentCreate(Schema):
    body: LongText
    attachments: Attachments = Field(default_factory=list)


class Reopen(Schema):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class PortalTicketRead(ReadSchema):
    id: UUID
    customer_id: UUID
    contact_id: UUID | None
    asset_id: UUID | None
    subject: str
    description: str
    category: str | None
    priority: TicketPriority
    channel: TicketChannel
    status: TicketStatus
    attachments: list[AttachmentRead]
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PortalCommentRead(ReadSchema):
    id: UUID
    ticket_id: UUID
    author_kind: AuthorKind
    body: str
    attachments: list[AttachmentRead]
    created_at: datetime


# -- assets ----------------------------------------------------------------------------------


def _warranty_after_purchase(value: date | None, info: ValidationInfo) -> date | None:
    bought = info.data.get("purchase_date")
    if value is not None and bought is not None and value < bought:
        raise ValueError("cannot be before purchase_date")
    return value


class AssetCreate(Schema):
    customer_id: UUID
    product: Short
    serial: Short
    purchase_date: date | None = None
    warranty_end: date | None = Field(default=None, description="Last day under warranty.")

    _check_warranty = field_validator("warranty_end")(_warranty_after_purchase)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
                    "product": "Forklift FRK-200",
                    "serial": "FRK200-2024-00417",
                    "purchase_date": "2024-03-01",
                    "warranty_end": "2026-02-28",
                }
            ]
        }
    )


class AssetUpdate(Schema):
    product: Annotated[Short | None, Kept] = None
    serial: Annotated[Short | None, Kept] = None
    purchase_date: date | None = None
    warranty_end: date | None = None

    _check_warranty = field_validator("warranty_end")(_warranty_after_purchase)


class AssetRead(ReadSchema):
    id: UUID
    customer_id: UUID
    branch_id: str
    product: str
    serial: str
    purchase_date: date | None
    warranty_end: date | None
    version: int
    created_at: datetime
    updated_at: datetime


def dump_changes(body: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values."""
    return body.model_dump(exclude_unset=True)
