"""Events published by the service-desk service on `crm.service-desk.events`.

The partition key is the id of the customer an event is about (tickets, assets, surveys), so
everything the service desk says about one customer arrives in order. Announcements and the
tenant's SLA configuration belong to no customer: they are keyed by the tenant id.
`subject` is `<entity>/<id>` and `sequence` the entity's version after the change.

SLA deadlines are moments computed in the branch's business hours; a deadline is null while
its clock is paused (ticket pending on the customer) or once it was met.
"""

from datetime import date
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from crm_contracts.base import Payload
from crm_contracts.customers import FieldChange
from crm_contracts.registry import EventSpec, register
from crm_contracts.topics import SERVICE_DESK_EVENTS

# --- vocabularies --------------------------------------------------------------------------


class TicketStatus(StrEnum):
    """new → open → pending → resolved → closed; resolved and closed reopen within N days."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer: the SLA clocks stop
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    """Selects the SLA targets of a ticket."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketChannel(StrEnum):
    """How the request reached the service desk."""

    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"


class SlaClockKind(StrEnum):
    """The two promises an SLA policy makes per priority."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class AuthorKind(StrEnum):
    """Who wrote a comment: staff of the company or the customer's contact (portal)."""

    AGENT = "agent"
    CONTACT = "contact"


class RelocationReason(StrEnum):
    """Why a ticket or asset now belongs to another customer or branch."""

    CUSTOMER_MERGED = "customer_merged"
    CUSTOMER_MOVED_BRANCH = "customer_moved_branch"


# --- tickets -------------------------------------------------------------------------------


class TicketRef(Payload):
    """Identifies the ticket and the customer it is about (the partition key)."""

    ticket_id: UUID = Field(description="The ticket.")
    customer_id: UUID = Field(description="Its customer; also the partition key.")


class TicketDeadlines(Payload):
    """The running SLA deadlines after the change."""

    first_response_due: AwareDatetime | None = Field(
        description="When the first response is due; null when met or paused."
    )
    resolution_due: AwareDatetime | None = Field(
        description="When resolution is due; null when met or paused."
    )


class TicketOpenedV1(TicketRef, TicketDeadlines):
    """A service request was opened by an agent (phone, e-mail) or a contact (portal)."""

    contact_id: UUID | None = Field(description="The customer's contact who asked, if known.")
    asset_id: UUID | None = Field(description="The customer asset it is about, if any.")
    subject: str = Field(description="One-line summary.")
    description: str = Field(description="What the customer reported.")
    category: str | None = Field(description="Tenant-defined category.")
    priority: TicketPriority = Field(description="Selects the SLA targets.")
    channel: TicketChannel = Field(description="How the request came in.")
    status: TicketStatus = Field(description="Status at creation (new).")
    assignee_id: str | None = Field(description="Agent it was assigned to at creation.")
    out_of_warranty: bool = Field(description="The asset's warranty had ended on opening day.")
    attachments: int = Field(ge=0, description="Number of attachments sent with it.")
    opened_by: str = Field(description="User id of the agent or portal contact.")


class TicketUpdatedV1(TicketRef):
    """Details of a ticket changed (subject, description, category, contact, asset)."""

    changes: dict[str, FieldChange] = Field(description="Changed fields by name, old and new.")
    out_of_warranty: bool = Field(description="The warranty flag after the change.")
    updated_by: str = Field(description="User id.")


class TicketAssignedV1(TicketRef):
    """A ticket got another assignee (or none)."""

    old_assignee_id: str | None = Field(description="Previous assignee.")
    new_assignee_id: str | None = Field(description="New assignee; null: back to the queue.")
    assigned_by: str = Field(description="User id.")


class TicketPriorityChangedV1(TicketRef, TicketDeadlines):
    """The priority changed, so the SLA deadlines were computed again."""

    old_priority: TicketPriority = Field(description="Priority before.")
    new_priority: TicketPriority = Field(description="Priority after.")
    changed_by: str = Field(description="User id.")


class TicketStatusChangedV1(TicketRef, TicketDeadlines):
    """A ticket moved along its status machine; resolved asks the contact for a survey."""

    old_status: TicketStatus = Field(description="Status before.")
    new_status: TicketStatus = Field(description="Status after.")
    reason: str | None = Field(default=None, description="Why (e.g. for a reopen).")
    changed_by: str = Field(description="User id; `system` for the auto-close job.")


class TicketCommentedV1(TicketRef):
    """A comment was added. Internal comments are for staff only, never shown on the portal."""

    comment_id: UUID = Field(description="The comment.")
    author_id: str = Field(description="User id of the author.")
    author_kind: AuthorKind = Field(description="Staff or the customer's contact.")
    internal: bool = Field(description="Staff-only note.")
    body: str = Field(description="The text.")
    attachments: int = Field(ge=0, description="Number of attachments.")
    first_response: bool = Field(description="This comment met the first-response SLA.")


class TicketSlaEventBase(TicketRef):
    clock: SlaClockKind = Field(description="Which promise.")
    due_at: AwareDatetime = Field(description="The deadline in question.")
    priority: TicketPriority = Field(description="Priority of the ticket.")
    assignee_id: str | None = Field(description="Who holds the ticket now.")


class TicketSlaWarningV1(TicketSlaEventBase):
    """An SLA deadline is near (the tenant's warning time, in business minutes)."""


class TicketSlaBreachedV1(TicketSlaEventBase):
    """An SLA deadline passed unmet; published once per clock."""


class TicketEscalatedV1(TicketRef):
    """A breached ticket was escalated to the branch managers of its branch."""

    to_role: Literal["branch_manager"] = Field(description="Role that must act now.")
    branch_id: str = Field(description="The branch whose managers are named.")
    clock: SlaClockKind = Field(description="The breached promise.")
    assignee_id: str | None = Field(description="Who held the ticket.")


class TicketRelocatedV1(TicketRef):
    """A ticket followed its customer: merged into another one, or moved to another branch."""

    old_customer_id: UUID = Field(description="Customer before (same unless merged).")
    old_branch_id: str = Field(description="Branch before.")
    branch_id: str = Field(description="Branch after.")
    reason: RelocationReason = Field(description="What the customers service did.")


# --- surveys -------------------------------------------------------------------------------


class SurveyAnsweredV1(Payload):
    """A customer rated how a resolved ticket was handled (CSAT).

    The customers service folds it into the customer's satisfaction score. `category` names
    what was rated (tenant-defined, e.g. `response_speed`); a consumer weighting scores per
    category (002: category coefficient times evaluation score) treats a missing one as 1.
    """

    survey_id: UUID = Field(description="The survey answer.")
    ticket_id: UUID = Field(description="The ticket rated.")
    customer_id: UUID = Field(description="The customer; also the partition key.")
    score: int = Field(ge=1, le=5, description="CSAT: 1 very unsatisfied … 5 very satisfied.")
    comment: str | None = Field(description="Free text from the customer.")
    category: str | None = Field(default=None, description="What was rated; null: overall.")
    contact_id: UUID | None = Field(description="The contact of the ticket, if known.")
    answered_by: str = Field(description="Portal user, or the agent who recorded it.")
    answered_at: AwareDatetime = Field(description="When it was answered.")


# --- assets ------------------------------------------------------------------------------


class AssetRegisteredV1(Payload):
    """A product the customer owns was registered (serial, purchase, warranty)."""

    asset_id: UUID = Field(description="The asset.")
    customer_id: UUID = Field(description="Its owner; also the partition key.")
    product: str = Field(description="Product name or model.")
    serial: str = Field(description="Serial number.")
    purchase_date: date | None = Field(description="When it was bought.")
    warranty_end: date | None = Field(description="Last day under warranty.")
    registered_by: str = Field(description="User id.")


class AssetUpdatedV1(Payload):
    """An asset's details changed; only changed fields are listed."""

    asset_id: UUID = Field(description="The asset.")
    customer_id: UUID = Field(description="Its owner; also the partition key.")
    changes: dict[str, FieldChange] = Field(description="Changed fields, old and new.")
    updated_by: str = Field(description="User id.")


class AssetRelocatedV1(Payload):
    """An asset followed its customer: merged into another one, or moved to another branch."""

    asset_id: UUID = Field(description="The asset.")
    customer_id: UUID = Field(description="Its owner now; also the partition key.")
    old_customer_id: UUID = Field(description="Owner before (same unless merged).")
    old_branch_id: str = Field(description="Branch before.")
    branch_id: str = Field(description="Branch after.")
    reason: RelocationReason = Field(description="What the customers service did.")


# --- tenant-wide: announcements and SLA configuration (partition key: the tenant) ----------


class AnnouncementChangedV1(Payload):
    """An announcement to customers' contacts was created or changed (full state)."""

    announcement_id: UUID = Field(description="The announcement.")
    title: str = Field(description="Headline.")
    body: str = Field(description="Text.")
    publish_at: AwareDatetime | None = Field(description="Visible from then on; null: draft.")
    expires_at: AwareDatetime | None = Field(description="Hidden from then on; null: never.")
    changed_by: str = Field(description="User id of the admin.")


class SlaTargets(Payload):
    """Deadlines of one priority, in business minutes."""

    first_response_minutes: int = Field(gt=0, description="Until the first public response.")
    resolution_minutes: int = Field(gt=0, description="Until resolved (pending time excluded).")


class SlaPolicyChangedV1(Payload):
    """A tenant's SLA policy changed; new deadlines use it (running ones keep theirs)."""

    targets: dict[TicketPriority, SlaTargets] = Field(description="Targets per priority.")
    warning_minutes: int = Field(ge=0, description="Business minutes before a deadline to warn.")
    reopen_days: int = Field(ge=0, description="Days after resolution a ticket may reopen.")
    changed_by: str = Field(description="User id.")


class OpeningHours(Payload):
    """One day's business hours in local time; `24:00` closes at midnight."""

    open: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")
    close: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="HH:MM")


class BusinessHoursChangedV1(Payload):
    """A branch's business hours changed; SLA deadlines are counted in them."""

    branch_id: str = Field(description="The branch.")
    timezone: str = Field(description="IANA timezone of the branch.")
    week: list[OpeningHours | None] = Field(
        min_length=7, max_length=7, description="Monday first; null: closed that day."
    )
    changed_by: str = Field(description="User id.")


# --- registration ------------------------------------------------------------------------

_TICKET = {
    "ticket_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
}
_DUE = {
    "first_response_due": "2026-11-23T02:00:00Z",
    "resolution_due": "2026-11-23T06:00:00Z",
}
_SLA = {
    **_TICKET,
    "clock": "resolution",
    "due_at": "2026-11-23T06:00:00Z",
    "priority": "high",
    "assignee_id": "agent",
}
_ASSET_ID = "0b7e3c52-2d7b-4b0e-9e51-64f0b8f4a3c1"
_DAY = {"open": "09:00", "close": "18:00"}
_EXAMPLES: dict[str, tuple[type[Payload], str, dict[str, Any]]] = {
    "ticket.opened": (
        TicketOpenedV1,
        "A service request was opened.",
        {
            **_TICKET,
            **_DUE,
            "contact_id": "5b1e0c52-1f4e-4d3a-8f0e-2f4d1c9e7a10",
            "asset_id": _ASSET_ID,
            "subject": "Forklift FRK-200 does not lift",
            "description": "Hydraulics lose pressure after ten minutes.",
            "category": "repair",
            "priority": "high",
            "channel": "portal",
            "status": "new",
            "assignee_id": None,
            "out_of_warranty": True,
            "attachments": 1,
            "opened_by": "portal-li-wei",
        },
    ),
    "ticket.updated": (
        TicketUpdatedV1,
        "Details of a ticket changed.",
        {
            **_TICKET,
            "changes": {"category": {"old": "repair", "new": "maintenance"}},
            "out_of_warranty": False,
            "updated_by": "agent",
        },
    ),
    "ticket.assigned": (
        TicketAssignedV1,
        "A ticket got another assignee.",
        {**_TICKET, "old_assignee_id": None, "new_assignee_id": "agent", "assigned_by": "agent"},
    ),
    "ticket.priority_changed": (
        TicketPriorityChangedV1,
        "A ticket's priority changed and its SLA deadlines were computed again.",
        {**_TICKET, **_DUE, "old_priority": "normal", "new_priority": "high", "changed_by": "a"},
    ),
    "ticket.status_changed": (
        TicketStatusChangedV1,
        "A ticket moved along new → open → pending → resolved → closed, or reopened.",
        {
            **_TICKET,
            "first_response_due": None,
            "resolution_due": None,
            "old_status": "open",
            "new_status": "pending",
            "reason": None,
            "changed_by": "agent",
        },
    ),
    "ticket.commented": (
        TicketCommentedV1,
        "A public or internal comment was added to a ticket.",
        {
            **_TICKET,
            "comment_id": "d3b07384-d9a0-4c5b-8a1e-2f0c3e4b5a69",
            "author_id": "agent",
            "author_kind": "agent",
            "internal": False,
            "body": "A technician will call you within the hour.",
            "attachments": 0,
            "first_response": True,
        },
    ),
    "ticket.sla_warning": (
        TicketSlaWarningV1,
        "An SLA deadline of a ticket is near.",
        _SLA,
    ),
    "ticket.sla_breached": (
        TicketSlaBreachedV1,
        "An SLA deadline of a ticket passed unmet.",
        _SLA,
    ),
    "ticket.escalated": (
        TicketEscalatedV1,
        "A breached ticket was escalated to its branch's managers.",
        {
            **_TICKET,
            "to_role": "branch_manager",
            "branch_id": "north",
            "clock": "resolution",
            "assignee_id": "agent",
        },
    ),
    "ticket.relocated": (
        TicketRelocatedV1,
        "A ticket followed its customer into a merge or to another branch.",
        {
            **_TICKET,
            "old_customer_id": "8d2b1f7a-0c44-4e0e-9a11-5b6f3c2d1e90",
            "old_branch_id": "north",
            "branch_id": "north",
            "reason": "customer_merged",
        },
    ),
    "survey.answered": (
        SurveyAnsweredV1,
        "A customer rated a resolved ticket (CSAT 1-5); feeds the satisfaction score.",
        {
            "survey_id": "9a1f5c3e-6b2d-4e8f-a7c9-1d3e5f7a9b0c",
            "ticket_id": _TICKET["ticket_id"],
            "customer_id": _TICKET["customer_id"],
            "score": 4,
            "comment": "Fast and friendly, the part took a day longer.",
            "category": "response_speed",
            "contact_id": "5b1e0c52-1f4e-4d3a-8f0e-2f4d1c9e7a10",
            "answered_by": "portal-li-wei",
            "answered_at": "2026-11-24T08:15:00Z",
        },
    ),
    "asset.registered": (
        AssetRegisteredV1,
        "A customer's product was registered with serial and warranty.",
        {
            "asset_id": _ASSET_ID,
            "customer_id": _TICKET["customer_id"],
            "product": "Forklift FRK-200",
            "serial": "FRK200-2024-00417",
            "purchase_date": "2024-03-01",
            "warranty_end": "2026-02-28",
            "registered_by": "agent",
        },
    ),
    "asset.updated": (
        AssetUpdatedV1,
        "An asset's details changed.",
        {
            "asset_id": _ASSET_ID,
            "customer_id": _TICKET["customer_id"],
            "changes": {"warranty_end": {"old": "2026-02-28", "new": "2027-02-28"}},
            "updated_by": "agent",
        },
    ),
    "asset.relocated": (
        AssetRelocatedV1,
        "An asset followed its customer into a merge or to another branch.",
        {
            "asset_id": _ASSET_ID,
            "customer_id": _TICKET["customer_id"],
            "old_customer_id": "8d2b1f7a-0c44-4e0e-9a11-5b6f3c2d1e90",
            "old_branch_id": "north",
            "branch_id": "north",
            "reason": "customer_merged",
        },
    ),
    "announcement.changed": (
        AnnouncementChangedV1,
        "An announcement to customers' contacts was created or changed.",
        {
            "announcement_id": "4c2a8e1f-3b5d-4f7a-9c1e-2d4f6a8b0c13",
            "title": "Service hours over the Spring Festival",
            "body": "The hotline is closed from 28 January to 4 February.",
            "publish_at": "2027-01-15T01:00:00Z",
            "expires_at": "2027-02-05T00:00:00Z",
            "changed_by": "admin",
        },
    ),
    "sla_policy.changed": (
        SlaPolicyChangedV1,
        "A tenant's SLA targets, warning time or reopen window changed.",
        {
            "targets": {
                p: {"first_response_minutes": f, "resolution_minutes": r}
                for p, f, r in (
                    ("urgent", 30, 240),
                    ("high", 60, 480),
                    ("normal", 240, 1440),
                    ("low", 480, 2880),
                )
            },
            "warning_minutes": 30,
            "reopen_days": 7,
            "changed_by": "admin",
        },
    ),
    "business_hours.changed": (
        BusinessHoursChangedV1,
        "A branch's business hours (SLA time) changed.",
        {
            "branch_id": "north",
            "timezone": "Asia/Shanghai",
            "week": [_DAY, _DAY, _DAY, _DAY, _DAY, None, None],
            "changed_by": "admin",
        },
    ),
}

for _name, (_payload, _summary, _example) in _EXAMPLES.items():
    register(
        EventSpec(
            type=f"crm.service-desk.{_name}.v1",
            topic=SERVICE_DESK_EVENTS,
            payload=_payload,
            summary=_summary,
            example=_example,
        )
    )
