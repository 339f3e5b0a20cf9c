"""Events published by the notifications service on `crm.notifications.events`.

Every send and every failure is an event: in-app notifications landing in an inbox, e-mails
(notifications and campaign mail), webhook deliveries to integrators, and what follows from
them (an endpoint disabled, a contact unsubscribing from campaign mail).

The partition key is the id of the customer the message is about when there is one, else
the recipient (a user id, a contact id, or for webhooks the endpoint id). `subject` is
`<entity>/<id>`; `sequence` counts the events of that entity (for an e-mail or a webhook
delivery: the attempt number).
"""

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from crm_contracts.base import Payload
from crm_contracts.registry import EventSpec, register
from crm_contracts.topics import NOTIFICATIONS_EVENTS


class NotificationDeliveredV1(Payload):
    """A notification landed in a user's in-app inbox (partition key: customer or user)."""

    notification_id: UUID = Field(description="The notification (inbox item).")
    recipient_id: str = Field(description="User id of whoever was told.")
    rule: str = Field(description="The rule that decided it, e.g. `task.reminder`.")
    title: str = Field(description="One-line text shown in the inbox.")
    customer_id: UUID | None = Field(description="The customer it is about, if any.")
    trigger_event_id: UUID | None = Field(description="The event that caused it, if any.")
    trigger_event_type: str | None = Field(description="That event's type, if any.")


class EmailOutcome(Payload):
    """Base of e-mail events: which mail, to whom, and why it was sent."""

    email_id: UUID = Field(description="The outgoing e-mail (stable across attempts).")
    kind: Literal["notification", "campaign"] = Field(
        description="A notification to a user, or campaign mail to a customer's contact."
    )
    recipient_id: str | None = Field(description="User id, for notification mail.")
    contact_id: UUID | None = Field(description="The contact, for campaign mail.")
    customer_id: UUID | None = Field(description="The customer it is about, if any.")
    notification_id: UUID | None = Field(description="The notification it carries, if any.")
    campaign_id: UUID | None = Field(description="The sales campaign, for campaign mail.")
    mailing_id: UUID | None = Field(description="The mailing (one send of a campaign).")
    attempt: int = Field(ge=1, description="Which attempt this was, from 1.")


class EmailSentV1(EmailOutcome):
    """The mail server accepted an e-mail."""

    message_id: str = Field(description="The `Message-ID` header, the same on every attempt.")
    sent_at: AwareDatetime = Field(description="When the server accepted it.")


class EmailFailedV1(EmailOutcome):
    """An attempt to send an e-mail failed; `next_attempt_at` null means it was given up."""

    error: str = Field(description="What went wrong (SMTP reply or connection error).")
    permanent: bool = Field(description="The server refused for good (5xx) or there is no address.")
    next_attempt_at: AwareDatetime | None = Field(description="When it is tried again, if ever.")


class WebhookAttempt(Payload):
    """Base of webhook delivery events."""

    delivery_id: UUID = Field(description="The delivery (one event to one endpoint).")
    endpoint_id: UUID = Field(description="The integrator's endpoint; also the partition key.")
    message_id: str = Field(description="The `webhook-id` header: the delivered event's id.")
    event_type: str = Field(description="Type of the delivered event.")
    attempt: int = Field(ge=1, description="Which attempt this was, from 1.")


class WebhookDeliveredV1(WebhookAttempt):
    """An endpoint answered a delivery with a 2xx status."""

    status_code: int = Field(description="The HTTP status the endpoint answered.")
    duration_ms: int = Field(ge=0, description="How long the request took.")


class WebhookFailedV1(WebhookAttempt):
    """A delivery attempt failed; `final` when no further attempt follows."""

    status_code: int | None = Field(description="The HTTP status, or null when none came.")
    error: str = Field(description="What went wrong.")
    next_attempt_at: AwareDatetime | None = Field(description="When it is tried again, if ever.")
    final: bool = Field(description="True when the delivery was given up.")


class WebhookEndpointDisabledV1(Payload):
    """An endpoint was disabled: it answered 410 Gone, or kept failing for days."""

    endpoint_id: UUID = Field(description="The endpoint; also the partition key.")
    reason: Literal["gone", "failing"] = Field(description="410 Gone, or failing too long.")
    failing_since: AwareDatetime | None = Field(description="Start of the failing streak.")
    owner_id: str = Field(description="User id of who registered it; told by notification.")
    disabled_at: AwareDatetime = Field(description="When it was disabled.")


class MailingStartedV1(Payload):
    """Campaign mail to a segment's contacts was queued (partition key: the campaign id)."""

    mailing_id: UUID = Field(description="This mailing.")
    campaign_id: UUID = Field(description="The sales campaign.")
    segment_id: UUID = Field(description="The customers segment it went to.")
    queued: int = Field(ge=0, description="E-mails queued (sent throttled).")
    skipped_unsubscribed: int = Field(ge=0, description="Contacts left out: unsubscribed.")
    skipped_without_email: int = Field(ge=0, description="Contacts left out: no address.")
    started_by: str = Field(description="User id.")


class CampaignMailUnsubscribedV1(Payload):
    """A contact followed the unsubscribe link of campaign mail; no more campaign mail."""

    campaign_id: UUID = Field(description="The campaign whose mail carried the link.")
    mailing_id: UUID = Field(description="The mailing.")
    customer_id: UUID = Field(description="The contact's customer; also the partition key.")
    contact_id: UUID = Field(description="The contact who opted out.")
    unsubscribed_at: AwareDatetime = Field(description="When.")


_CUSTOMER = "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"
_CAMPAIGN = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081"
_MAILING = "6e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
_CONTACT = "c0ffee00-1234-4a5b-8c6d-7e8f90a1b2c3"
_ENDPOINT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
_EMAIL = {
    "email_id": "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
    "kind": "notification",
    "recipient_id": "north-rep",
    "contact_id": None,
    "customer_id": _CUSTOMER,
    "notification_id": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
    "campaign_id": None,
    "mailing_id": None,
    "attempt": 1,
}
_DELIVERY = {
    "delivery_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "endpoint_id": _ENDPOINT,
    "message_id": "5b3e8d2a-6f1c-4c1e-8f0a-1d2c3b4a5e60",
    "event_type": "crm.sales.opportunity.won.v1",
}
_EXAMPLES: dict[str, tuple[type[Payload], str, dict[str, Any]]] = {
    "notification.delivered": (
        NotificationDeliveredV1,
        "A notification landed in a user's in-app inbox.",
        {
            "notification_id": "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
            "recipient_id": "north-rep",
            "rule": "task.reminder",
            "title": "Reminder: Present the fleet offer at 10:00",
            "customer_id": _CUSTOMER,
            "trigger_event_id": "4f5a6b7c-8d9e-4f0a-8b1c-2d3e4f5a6b7c",
            "trigger_event_type": "crm.sales.task.created.v1",
        },
    ),
    "email.sent": (
        EmailSentV1,
        "The mail server accepted an e-mail.",
        {
            **_EMAIL,
            "message_id": "<0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a@crm.notifications>",
            "sent_at": "2026-03-16T01:00:02Z",
        },
    ),
    "email.failed": (
        EmailFailedV1,
        "An attempt to send an e-mail failed.",
        {
            **_EMAIL,
            "error": "421 4.7.0 try again later",
            "permanent": False,
            "next_attempt_at": "2026-03-16T01:01:02Z",
        },
    ),
    "webhook.delivered": (
        WebhookDeliveredV1,
        "An integrator's endpoint accepted a webhook delivery.",
        {**_DELIVERY, "attempt": 4, "status_code": 204, "duration_ms": 38},
    ),
    "webhook.failed": (
        WebhookFailedV1,
        "A webhook delivery attempt failed.",
        {
            **_DELIVERY,
            "attempt": 2,
            "status_code": 503,
            "error": "HTTP 503",
            "next_attempt_at": "2026-03-16T01:05:07Z",
            "final": False,
        },
    ),
    "webhook_endpoint.disabled": (
        WebhookEndpointDisabledV1,
        "A webhook endpoint was disabled (410 Gone, or failing for days).",
        {
            "endpoint_id": _ENDPOINT,
            "reason": "failing",
            "failing_since": "2026-03-11T01:00:00Z",
            "owner_id": "integrator",
            "disabled_at": "2026-03-16T01:00:00Z",
        },
    ),
    "mailing.started": (
        MailingStartedV1,
        "Campaign mail to a segment's contacts was queued.",
        {
            "mailing_id": _MAILING,
            "campaign_id": _CAMPAIGN,
            "segment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "queued": 120,
            "skipped_unsubscribed": 4,
            "skipped_without_email": 9,
            "started_by": "marketer",
        },
    ),
    "campaign_mail.unsubscribed": (
        CampaignMailUnsubscribedV1,
        "A contact unsubscribed from campaign mail through its link.",
        {
            "campaign_id": _CAMPAIGN,
            "mailing_id": _MAILING,
            "customer_id": _CUSTOMER,
            "contact_id": _CONTACT,
            "unsubscribed_at": "2026-03-17T08:12:00Z",
        },
    ),
}

for _name, (_payload, _summary, _example) in _EXAMPLES.items():
    register(
        EventSpec(
            type=f"crm.notifications.{_name}.v1",
            topic=NOTIFICATIONS_EVENTS,
            payload=_payload,
            summary=_summary,
            example=_example,
        )
    )
