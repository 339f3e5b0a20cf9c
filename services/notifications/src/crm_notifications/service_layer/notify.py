"""Telling users: one notification per recipient, in the inbox and/or queued as e-mail.

Runs inside the caller's transaction (the consumer's, or the reminder job's), so the inbox
row, the queued e-mail and their events commit together with whatever caused them, once.
A unique dedupe key per recipient makes a second attempt at the same notification a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from servicekit.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert

from crm_notifications.adapters import event_mapping
from crm_notifications.adapters.orm import (
    NotificationRow,
    OutgoingMailRow,
    RuleSettingRow,
    TenantSettingsRow,
)
from crm_notifications.bootstrap import Services
from crm_notifications.domain.rules import (
    Channel,
    Rule,
    RuleSetting,
    applies,
    effective_channels,
    entity_of,
    without_actor,
)
from crm_notifications.service_layer import directory


@dataclass(frozen=True)
class Trigger:
    """What caused a notification: the event, as far as templates and logs need it."""

    event_id: UUID | None
    event_type: str
    subject: str | None
    time: str
    tenant: str
    branch: str | None
    data: Mapping[str, Any]


def message_id(mail_id: UUID) -> str:
    return f"<{mail_id}@crm.notifications>"


async def rule_setting(uow: UnitOfWork, tenant: str, rule: str) -> RuleSetting | None:
    row = await uow.session.get(RuleSettingRow, (tenant, rule))
    if row is None:
        return None
    channels = None if row.channels is None else frozenset(Channel(c) for c in row.channels)
    return RuleSetting(enabled=row.enabled, channels=channels)


async def sender_of(uow: UnitOfWork, services: Services, tenant: str) -> str:
    row = await uow.session.get(TenantSettingsRow, tenant)
    return row.mail_from if row is not None and row.mail_from else services.settings.mail_from


async def apply_rule(
    uow: UnitOfWork,
    services: Services,
    rule: Rule,
    trigger: Trigger,
    *,
    dedupe: str,
    now: datetime,
) -> int:
    """Resolve the rule's recipients now and tell each of them; returns how many were told."""
    if not applies(rule, trigger.data):
        return 0
    channels = effective_channels(rule, await rule_setting(uow, trigger.tenant, rule.key))
    if not channels:
        return 0
    recipients: list[str] = []
    for selector in rule.to:
        recipients += await directory.resolve(
            uow.session, selector, tenant=trigger.tenant, branch=trigger.branch, data=trigger.data
        )
    return await tell(
        uow,
        services,
        rule,
        trigger,
        without_actor(rule, trigger.data, recipients),
        channels=channels,
        dedupe=dedupe,
        now=now,
    )


async def tell(
    uow: UnitOfWork,
    services: Services,
    rule: Rule,
    trigger: Trigger,
    recipients: Sequence[str],
    *,
    channels: frozenset[Channel],
    dedupe: str,
    now: datetime,
) -> int:
    session = uow.session
    customer_id = directory.customer_id_of(trigger.data)
    customer = await directory.customer(session, trigger.tenant, customer_id)
    told = 0
    for recipient_id in recipients:
        user = await directory.user(session, trigger.tenant, recipient_id)
        if user is not None and not user.active:
            continue
        context = {
            "data": trigger.data,
            "event": {
                "type": trigger.event_type,
                "entity": entity_of(trigger.event_type),
                "subject": trigger.subject,
                "time": trigger.time,
            },
            "customer": {
                "id": str(customer_id) if customer_id else None,
                "name": (customer.name if customer is not None else None) or "your customer",
            },
            "recipient": {
                "id": recipient_id,
                "name": (user.name if user else None) or recipient_id,
            },
            "title": rule.summary,
            "summary": rule.summary,
            "footer": f"Sent by your CRM because of the rule {rule.key}; "
            "your administrator can change it.",
        }
        rendered = services.templates.render(rule.key, context)
        row = NotificationRow(
            id=uuid.uuid4(),
            tenant_id=trigger.tenant,
            recipient_id=recipient_id,
            rule=rule.key,
            title=rendered.subject,
            body=rendered.text,
            customer_id=customer_id,
            subject=trigger.subject,
            trigger_event_id=trigger.event_id,
            trigger_event_type=trigger.event_type,
            dedupe_key=dedupe,
            in_inbox=Channel.INBOX in channels,
            created_at=now,
            read_at=None,
        )
        values = {c.key: getattr(row, c.key) for c in NotificationRow.__table__.columns}
        inserted = await session.scalar(
            insert(NotificationRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "recipient_id", "dedupe_key"])
            .returning(NotificationRow.id)
        )
        if inserted is None:
            continue  # told before (a redelivery or a second run): nothing more to do
        told += 1
        if row.in_inbox:
            uow.emit(event_mapping.notification_delivered(row, trigger.branch))
        if Channel.EMAIL in channels:
            await queue_mail(
                uow,
                services,
                row,
                to=user.email if user is not None else None,
                html=rendered.html,
                now=now,
            )
    return told


async def queue_mail(
    uow: UnitOfWork,
    services: Services,
    notification: NotificationRow,
    *,
    to: str | None,
    html: str,
    now: datetime,
) -> OutgoingMailRow:
    mail = OutgoingMailRow(
        id=uuid.uuid4(),
        tenant_id=notification.tenant_id,
        kind="notification",
        recipient_id=notification.recipient_id,
        contact_id=None,
        customer_id=notification.customer_id,
        notification_id=notification.id,
        campaign_id=None,
        mailing_id=None,
        to_address=to,
        from_address=await sender_of(uow, services, notification.tenant_id),
        subject=notification.title,
        body_text=notification.body,
        body_html=html,
        unsubscribe_token=None,
        status="pending",
        attempts=0,
        due_at=now,
        created_at=now,
    )
    if to is None:
        # Nothing to send to: recorded, told as a failure, never retried.
        mail.status, mail.attempts = "failed", 1
        mail.last_error = (
            f"no e-mail address for user {notification.recipient_id!r} in the directory"
        )
        uow.emit(
            event_mapping.email_failed(mail, mail.last_error, permanent=True, next_attempt_at=None)
        )
    uow.session.add(mail)
    return mail
