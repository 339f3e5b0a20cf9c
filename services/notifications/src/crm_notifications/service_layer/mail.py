"""The outgoing mail queue: leased in a short transaction, sent, then marked.

What is guaranteed: every queued e-mail is sent at least once, also across restarts (a
lease that ran out is taken again). It is sent twice only if the process dies between the
mail server's 250 reply and the commit that marks it sent, and then with the same
`Message-ID`. Campaign mail to a contact who unsubscribed meanwhile is cancelled, not sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from servicekit.uow import UnitOfWork
from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from crm_notifications.adapters import event_mapping
from crm_notifications.adapters.orm import ContactRow, OutgoingMailRow, UnsubscribeRow
from crm_notifications.adapters.smtp import OutgoingMessage, SendResult
from crm_notifications.bootstrap import Services
from crm_notifications.domain import retry
from crm_notifications.service_layer.notify import message_id


def unsubscribed_clause(tenant_col: Any, contact_col: Any, email_col: Any) -> ColumnElement[bool]:
    """SQL: this campaign recipient opted out (by the customers service or our link)."""
    by_link = exists().where(
        UnsubscribeRow.tenant_id == tenant_col,
        or_(UnsubscribeRow.contact_id == contact_col, UnsubscribeRow.email == email_col),
    )
    contact = aliased(ContactRow)
    by_contact = exists().where(
        contact.tenant_id == tenant_col,
        contact.contact_id == contact_col,
        or_(contact.unsubscribed.is_(True), contact.deleted.is_(True)),
    )
    return or_(by_link, by_contact)


async def _claim(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> list[OutgoingMailRow]:
    lease = timedelta(seconds=services.settings.smtp_timeout_s * 4 + 60)
    async with sessions() as session, session.begin():
        # Campaign mail to contacts who opted out since it was queued is not sent.
        await session.execute(
            update(OutgoingMailRow)
            .where(
                OutgoingMailRow.status == "pending",
                OutgoingMailRow.kind == "campaign",
                OutgoingMailRow.due_at <= now,
                unsubscribed_clause(
                    OutgoingMailRow.tenant_id,
                    OutgoingMailRow.contact_id,
                    OutgoingMailRow.to_address,
                ),
            )
            .values(status="cancelled", last_error="the contact unsubscribed")
            .execution_options(synchronize_session=False)
        )
        due = (
            select(OutgoingMailRow.id)
            .where(
                OutgoingMailRow.status == "pending",
                OutgoingMailRow.due_at <= now,
                or_(OutgoingMailRow.locked_until.is_(None), OutgoingMailRow.locked_until < now),
            )
            .order_by(OutgoingMailRow.due_at)
            .limit(services.settings.mail_batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = (
            (
                await session.execute(
                    update(OutgoingMailRow)
                    .where(OutgoingMailRow.id.in_(due))
                    .values(locked_until=now + lease, attempts=OutgoingMailRow.attempts + 1)
                    .returning(OutgoingMailRow)
                    .execution_options(synchronize_session=False)
                )
            )
            .scalars()
            .all()
        )
    return list(rows)


def _headers(row: OutgoingMailRow, services: Services) -> dict[str, str]:
    if row.unsubscribe_token is None:
        return {}
    url = f"{services.settings.public_url.rstrip('/')}/unsubscribe/{row.unsubscribe_token}"
    # RFC 8058 one-click: mail clients POST to the link without opening a page.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _message(row: OutgoingMailRow, services: Services, now: datetime) -> OutgoingMessage:
    assert row.to_address is not None
    return OutgoingMessage(
        from_address=row.from_address,
        to_address=row.to_address,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        message_id=message_id(row.id),
        date=now,
        headers=_headers(row, services),
    )


async def send_due(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """Send every e-mail due by `now`; returns how many were attempted."""
    rows = await _claim(sessions, services, now)
    if not rows:
        return 0
    results = await services.mailer.send_many([_message(r, services, now) for r in rows])
    async with UnitOfWork(sessions) as uow:
        for row, result in zip(rows, results, strict=True):
            await _record(uow, row, result, now)
        await uow.commit()
    return len(rows)


async def _record(
    uow: UnitOfWork, claimed: OutgoingMailRow, result: SendResult, now: datetime
) -> None:
    row = await uow.session.get(OutgoingMailRow, claimed.id, with_for_update=True)
    assert row is not None
    row.locked_until = None
    if result.ok:
        row.status, row.sent_at, row.last_error = "sent", now, None
        uow.emit(event_mapping.email_sent(row, message_id(row.id), now))
        return
    error = result.error or "failed"
    row.last_error = error
    next_at = None if result.permanent else retry.next_mail_attempt(row.attempts, now)
    if next_at is None:
        row.status = "failed"
    else:
        row.due_at = next_at
    uow.emit(
        event_mapping.email_failed(row, error, permanent=result.permanent, next_attempt_at=next_at)
    )
