"""What this service did -> wire contracts on `crm.notifications.events`, in one place.

Partition key: the customer the message is about, else the recipient (user, contact, or the
webhook endpoint). Subject `<entity>/<id>`; sequence = the attempt number for e-mails and
webhook deliveries, so each attempt's event is in order behind the previous one.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_contracts import CloudEvent, new_event
from crm_contracts import notifications as n

from crm_notifications.adapters.orm import (
    NotificationRow,
    OutgoingMailRow,
    UnsubscribeRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)


def _key(customer_id: UUID | None, recipient: object) -> str:
    return str(customer_id) if customer_id is not None else str(recipient)


def notification_delivered(row: NotificationRow, branch: str | None) -> CloudEvent:
    return new_event(
        n.NotificationDeliveredV1(
            notification_id=row.id,
            recipient_id=row.recipient_id,
            rule=row.rule,
            title=row.title,
            customer_id=row.customer_id,
            trigger_event_id=row.trigger_event_id,
            trigger_event_type=row.trigger_event_type,
        ),
        tenant=row.tenant_id,
        branch=branch,
        partition_key=_key(row.customer_id, row.recipient_id),
        subject=f"notification/{row.id}",
        sequence=1,
    )


def _email_fields(row: OutgoingMailRow) -> dict[str, object]:
    return {
        "email_id": row.id,
        "kind": row.kind,
        "recipient_id": row.recipient_id,
        "contact_id": row.contact_id,
        "customer_id": row.customer_id,
        "notification_id": row.notification_id,
        "campaign_id": row.campaign_id,
        "mailing_id": row.mailing_id,
        "attempt": max(row.attempts, 1),
    }


def _email_event(row: OutgoingMailRow, payload: n.EmailOutcome) -> CloudEvent:
    return new_event(
        payload,
        tenant=row.tenant_id,
        branch=None,
        partition_key=_key(row.customer_id, row.recipient_id or row.contact_id),
        subject=f"email/{row.id}",
        sequence=max(row.attempts, 1),
    )


def email_sent(row: OutgoingMailRow, message_id: str, at: datetime) -> CloudEvent:
    payload = {**_email_fields(row), "message_id": message_id, "sent_at": at}
    return _email_event(row, n.EmailSentV1.model_validate(payload))


def email_failed(
    row: OutgoingMailRow, error: str, *, permanent: bool, next_attempt_at: datetime | None
) -> CloudEvent:
    payload = {
        **_email_fields(row),
        "error": error[:1000],
        "permanent": permanent,
        "next_attempt_at": next_attempt_at,
    }
    return _email_event(row, n.EmailFailedV1.model_validate(payload))


def _delivery_event(row: WebhookDeliveryRow, payload: n.WebhookAttempt) -> CloudEvent:
    return new_event(
        payload,
        tenant=row.tenant_id,
        branch=None,
        partition_key=str(row.endpoint_id),
        subject=f"webhook_delivery/{row.id}",
        sequence=max(row.attempts, 1),
    )


def _delivery_fields(row: WebhookDeliveryRow) -> dict[str, object]:
    return {
        "delivery_id": row.id,
        "endpoint_id": row.endpoint_id,
        "message_id": str(row.event_id),
        "event_type": row.event_type,
        "attempt": max(row.attempts, 1),
    }


def webhook_delivered(row: WebhookDeliveryRow, status_code: int, duration_ms: int) -> CloudEvent:
    payload = {**_delivery_fields(row), "status_code": status_code, "duration_ms": duration_ms}
    return _delivery_event(row, n.WebhookDeliveredV1.model_validate(payload))


def webhook_failed(
    row: WebhookDeliveryRow,
    status_code: int | None,
    error: str,
    next_attempt_at: datetime | None,
) -> CloudEvent:
    payload = {
        **_delivery_fields(row),
        "status_code": status_code,
        "error": error[:1000],
        "next_attempt_at": next_attempt_at,
        "final": next_attempt_at is None,
    }
    return _delivery_event(row, n.WebhookFailedV1.model_validate(payload))


def endpoint_disabled(endpoint: WebhookEndpointRow) -> CloudEvent:
    assert endpoint.disabled_at is not None
    return new_event(
        n.WebhookEndpointDisabledV1(
            endpoint_id=endpoint.id,
            reason="gone" if endpoint.disabled_reason == "gone" else "failing",
            failing_since=endpoint.failing_since,
            owner_id=endpoint.owner_id,
            disabled_at=endpoint.disabled_at,
        ),
        tenant=endpoint.tenant_id,
        branch=None,
        partition_key=str(endpoint.id),
        subject=f"webhook_endpoint/{endpoint.id}",
        sequence=endpoint.version,
    )


def mailing_started(
    *,
    tenant: str,
    mailing_id: UUID,
    campaign_id: UUID,
    segment_id: UUID,
    queued: int,
    skipped_unsubscribed: int,
    skipped_without_email: int,
    started_by: str,
) -> CloudEvent:
    return new_event(
        n.MailingStartedV1(
            mailing_id=mailing_id,
            campaign_id=campaign_id,
            segment_id=segment_id,
            queued=queued,
            skipped_unsubscribed=skipped_unsubscribed,
            skipped_without_email=skipped_without_email,
            started_by=started_by,
        ),
        tenant=tenant,
        branch=None,
        partition_key=str(campaign_id),
        subject=f"mailing/{mailing_id}",
        sequence=1,
    )


def unsubscribed(row: UnsubscribeRow, customer_id: UUID, campaign_id: UUID) -> CloudEvent:
    assert row.mailing_id is not None
    return new_event(
        n.CampaignMailUnsubscribedV1(
            campaign_id=campaign_id,
            mailing_id=row.mailing_id,
            customer_id=customer_id,
            contact_id=row.contact_id,
            unsubscribed_at=row.unsubscribed_at,
        ),
        tenant=row.tenant_id,
        branch=None,
        partition_key=str(customer_id),
        subject=f"unsubscribe/{row.contact_id}",
        sequence=1,
    )
