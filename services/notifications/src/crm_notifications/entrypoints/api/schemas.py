"""Request and response schemas of the notifications API."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from crm_notifications.domain.patterns import PATTERN
from crm_notifications.domain.rules import Channel

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
TypePattern = Annotated[str, StringConstraints(pattern=PATTERN.pattern)]
EMAIL = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"


def _mailbox(value: str) -> str:
    _, address = parseaddr(value)
    if not address or "@" not in address or " " in address:
        raise ValueError("use `Name <address@example.com>` or `address@example.com`")
    return value


Mailbox = Annotated[str, StringConstraints(max_length=320), AfterValidator(_mailbox)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


# --- inbox -----------------------------------------------------------------------------------


class InboxItem(Schema):
    id: UUID
    rule: str = Field(description="The rule that decided it, e.g. `task.reminder`.")
    title: str
    body: str
    customer_id: UUID | None
    subject: str | None = Field(description="The entity it is about, `<entity>/<id>`.")
    trigger_event_type: str | None
    created_at: datetime
    read_at: datetime | None


class InboxPage(Schema):
    items: list[InboxItem]
    total: int
    unread: int
    limit: int
    offset: int


class MarkAllRead(Schema):
    before: datetime | None = Field(
        default=None, description="Mark what arrived up to then (default: now)."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"before": "2026-11-23T09:00:00Z"}]})


class MarkedRead(Schema):
    marked: int


# --- directory, rules, settings -----------------------------------------------------------------


class UserPut(Schema):
    email: Annotated[str, StringConstraints(max_length=320, pattern=EMAIL)] | None = None
    name: Short | None = None
    branch_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    roles: Annotated[list[Short], Field(max_length=10)] = Field(default_factory=list)
    active: bool = True

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "north-rep@demo.crm.local",
                    "name": "Wang Fang",
                    "branch_id": "north",
                    "roles": ["sales_rep"],
                    "active": True,
                }
            ]
        }
    )


class UserRead(Schema):
    user_id: str
    email: str | None
    name: str | None
    branch_id: str | None
    roles: list[str]
    active: bool
    version: int


class RuleRead(Schema):
    key: str
    summary: str
    on: list[str] = Field(description="Event types it reacts to.")
    recipients: list[str] = Field(description="Who is told, in words.")
    default_channels: list[Channel]
    scheduled: bool = Field(description="Sent at a time stored from the event (reminders).")
    enabled: bool
    channels: list[Channel] = Field(description="What this company gets.")
    version: int | None = Field(description="Version of the company's setting (ETag), if any.")


class RulePut(Schema):
    enabled: bool = True
    channels: list[Channel] | None = Field(
        default=None, description="Channels to use; null: the rule's defaults."
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"enabled": True, "channels": ["inbox"]}]}
    )


class SettingsRead(Schema):
    mail_from: str = Field(description="Sender of this company's e-mail.")
    custom_sender: bool
    version: int | None


class SettingsPut(Schema):
    mail_from: Mailbox | None = Field(description="Sender; null: the platform's default.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"mail_from": "Acme CRM <crm@acme.example>"}]}
    )


# --- webhooks ------------------------------------------------------------------------------


class EndpointCreate(Schema):
    url: Url = Field(description="Where deliveries are POSTed (a public https URL).")
    event_types: Annotated[list[TypePattern], Field(min_length=1, max_length=50)] = Field(
        description="Event types, `*` matching any text: `crm.sales.*`, `*`."
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/crm/webhooks",
                    "event_types": ["crm.sales.opportunity.*", "crm.sales.order.confirmed.v1"],
                    "description": "ERP order intake",
                }
            ]
        }
    )


class EndpointChange(Schema):
    url: Url | None = None
    event_types: Annotated[list[TypePattern], Field(min_length=1, max_length=50)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool | None = Field(default=None, description="Enable again after it was disabled.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"enabled": True}, {"event_types": ["crm.*"]}]}
    )


class EndpointRead(Schema):
    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="gone (410), failing, manual or deleted.")
    disabled_at: datetime | None
    failing_since: datetime | None
    owner_id: str
    version: int
    created_at: datetime


class EndpointCreated(EndpointRead):
    secret: str = Field(description="`whsec_...`: verify signatures with it. Shown here once.")


class EndpointSecret(Schema):
    secret: str


class AttemptRead(Schema):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    response_excerpt: str | None


class DeliveryRead(Schema):
    id: UUID
    endpoint_id: UUID
    event_id: UUID = Field(description="Also the `webhook-id` header.")
    event_type: str
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    replay_of: UUID | None
    created_at: datetime
    finished_at: datetime | None


class DeliveryDetail(DeliveryRead):
    log: list[AttemptRead]


class DeliveryPage(Schema):
    items: list[DeliveryRead]
    total: int
    limit: int
    offset: int


class ReplaySince(Schema):
    since: datetime = Field(description="Replay what failed from this moment on.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2026-11-20T00:00:00Z"}]})


class Replayed(Schema):
    replayed: int


# --- feed ----------------------------------------------------------------------------------


class FeedEntry(Schema):
    cursor: str = Field(description="Resume after this event with `?after=`.")
    event: dict[str, Any] = Field(description="The CloudEvent, as on Kafka.")


class FeedRead(Schema):
    items: list[FeedEntry]
    next: str = Field(description="Pass as `after` to continue exactly here.")
    has_more: bool


# --- campaign mail -------------------------------------------------------------------------


class MailingCreate(Schema):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=100_000)] = Field(
        description="Plain text; `{{ contact.name }}`, `{{ customer.name }}`, "
        "`{{ unsubscribe_url }}` are filled in (an unsubscribe line is added if missing)."
    )
    html: Annotated[str, StringConstraints(max_length=200_000)] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "Spring fleet renewal for {{ customer.name }}",
                    "text": "Dear {{ contact.name }},\n\nour spring offer is out.",
                    "html": "<p>Dear {{ contact.name }},</p><p>our spring offer is out.</p>",
                }
            ]
        }
    )


class MailingRead(Schema):
    id: UUID
    campaign_id: UUID
    segment_id: UUID
    queued: int
    skipped_unsubscribed: int
    skipped_without_email: int
    started_by: str
    created_at: datetime
    status: dict[str, int] = Field(
        default_factory=dict, description="E-mails by state: pending, sent, failed, cancelled."
    )
