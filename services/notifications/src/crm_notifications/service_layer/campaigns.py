"""Campaign mail: a campaign's segment's contacts get an e-mail, throttled, each with an
unsubscribe link that is honoured from the moment it is followed.

The segment is resolved by the customers service with the caller's token; contacts, their
addresses and unsubscribe state come from the contact events this service keeps. Mail is
spread over time at `campaign_mails_per_minute` per tenant, behind what is already queued.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from servicekit.auth import Principal
from servicekit.uow import UnitOfWork
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.adapters import event_mapping
from crm_notifications.adapters.orm import (
    CampaignRow,
    ContactRow,
    CustomerOwnerRow,
    MailingRow,
    OutgoingMailRow,
    UnsubscribeRow,
)
from crm_notifications.bootstrap import Services
from crm_notifications.domain.model import ConflictError, NotFoundError
from crm_notifications.service_layer.mail import unsubscribed_clause
from crm_notifications.service_layer.notify import sender_of

UNSUBSCRIBE_TEXT = "\n\n--\nTo receive no more of these e-mails, unsubscribe: {url}\n"
UNSUBSCRIBE_HTML = (
    '<p style="color:#888;font-size:0.85em">To receive no more of these e-mails, '
    '<a href="{url}">unsubscribe</a>.</p>'
)


@dataclass(frozen=True)
class MailingCommand:
    campaign_id: UUID
    subject: str
    text: str
    html: str | None


def _personal(
    services: Services, source: str, context: dict[str, Any], *, html: bool, url: str
) -> str:
    body = services.templates.render_string(source, context, html=html)
    if "unsubscribe_url" in source:
        return body
    return body + (UNSUBSCRIBE_HTML if html else UNSUBSCRIBE_TEXT).format(url=url)


async def start_mailing(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    cmd: MailingCommand,
    *,
    token: str,
    now: datetime,
) -> MailingRow:
    """Queue the campaign's mail to every reachable, subscribed contact of its segment."""
    async with uow:
        campaign = await uow.session.get(CampaignRow, (principal.tenant, cmd.campaign_id))
        if campaign is None:
            raise NotFoundError(f"No campaign {cmd.campaign_id} (known from the sales events).")
        if campaign.channel != "email":
            raise ConflictError(f"Campaign {cmd.campaign_id} is a {campaign.channel} campaign.")
        campaign_name, segment_id = campaign.name, campaign.segment_id
    customers = await services.segments.customers_of(segment_id, token=token)
    public = services.settings.public_url.rstrip("/")
    async with uow:
        session = uow.session
        contacts = list(
            await session.scalars(
                select(ContactRow)
                .where(
                    ContactRow.tenant_id == principal.tenant,
                    ContactRow.customer_id.in_(customers),
                    ContactRow.deleted.is_(False),
                )
                .order_by(ContactRow.customer_id, ContactRow.contact_id)
            )
        )
        opted_out = set(
            await session.scalars(
                select(ContactRow.contact_id).where(
                    ContactRow.tenant_id == principal.tenant,
                    ContactRow.contact_id.in_([c.contact_id for c in contacts]),
                    unsubscribed_clause(
                        ContactRow.tenant_id, ContactRow.contact_id, ContactRow.email
                    ),
                )
            )
        )
        known = await session.execute(
            select(CustomerOwnerRow.customer_id, CustomerOwnerRow.name).where(
                CustomerOwnerRow.tenant_id == principal.tenant,
                CustomerOwnerRow.customer_id.in_(customers),
            )
        )
        names = {customer_id: name for customer_id, name in known}
        # Throttle: one mail every 60/rate seconds, after the tenant's queued campaign mail.
        last_due = await session.scalar(
            select(func.max(OutgoingMailRow.due_at)).where(
                OutgoingMailRow.tenant_id == principal.tenant,
                OutgoingMailRow.kind == "campaign",
                OutgoingMailRow.status == "pending",
            )
        )
        step = timedelta(minutes=1) / services.settings.campaign_mails_per_minute
        start = max(now, last_due + step) if last_due is not None else now
        mailing = MailingRow(
            id=uuid.uuid4(),
            tenant_id=principal.tenant,
            campaign_id=cmd.campaign_id,
            segment_id=segment_id,
            subject=cmd.subject,
            body_text=cmd.text,
            body_html=cmd.html,
            queued=0,
            skipped_unsubscribed=0,
            skipped_without_email=0,
            started_by=principal.user_id,
            created_at=now,
        )
        sender = await sender_of(uow, services, principal.tenant)
        rows: list[dict[str, Any]] = []
        seen_addresses: set[str] = set()
        for contact in contacts:
            if contact.contact_id in opted_out:
                mailing.skipped_unsubscribed += 1
                continue
            if not contact.email or contact.email in seen_addresses:
                mailing.skipped_without_email += 1
                continue
            seen_addresses.add(contact.email)
            token_value = secrets.token_urlsafe(24)
            url = f"{public}/unsubscribe/{token_value}"
            context = {
                "contact": {"name": contact.name, "email": contact.email},
                "customer": {"name": names.get(contact.customer_id) or ""},
                "campaign": {"name": campaign_name},
                "unsubscribe_url": url,
            }
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": principal.tenant,
                    "kind": "campaign",
                    "contact_id": contact.contact_id,
                    "customer_id": contact.customer_id,
                    "campaign_id": cmd.campaign_id,
                    "mailing_id": mailing.id,
                    "to_address": contact.email,
                    "from_address": sender,
                    "subject": services.templates.render_string(cmd.subject, context, html=False),
                    "body_text": _personal(services, cmd.text, context, html=False, url=url),
                    "body_html": _personal(services, cmd.html, context, html=True, url=url)
                    if cmd.html
                    else None,
                    "unsubscribe_token": token_value,
                    "status": "pending",
                    "attempts": 0,
                    "due_at": start + step * len(rows),
                    "created_at": now,
                }
            )
        mailing.queued = len(rows)
        session.add(mailing)
        await session.flush()
        if rows:
            await session.execute(insert(OutgoingMailRow), rows)
        uow.emit(
            event_mapping.mailing_started(
                tenant=principal.tenant,
                mailing_id=mailing.id,
                campaign_id=cmd.campaign_id,
                segment_id=segment_id,
                queued=mailing.queued,
                skipped_unsubscribed=mailing.skipped_unsubscribed,
                skipped_without_email=mailing.skipped_without_email,
                started_by=principal.user_id,
            )
        )
        await uow.commit()
    return mailing


async def mailing_status(
    session: AsyncSession, principal: Principal, mailing_id: UUID
) -> tuple[MailingRow, dict[str, int]]:
    """A mailing and its e-mails counted by state."""
    mailing = await session.scalar(
        select(MailingRow).where(
            MailingRow.id == mailing_id, MailingRow.tenant_id == principal.tenant
        )
    )
    if mailing is None:
        raise NotFoundError(f"No mailing {mailing_id}.")
    by_status = await session.execute(
        select(OutgoingMailRow.status, func.count())
        .where(
            OutgoingMailRow.tenant_id == principal.tenant,
            OutgoingMailRow.mailing_id == mailing_id,
        )
        .group_by(OutgoingMailRow.status)
    )
    return mailing, {state: int(count) for state, count in by_status}


async def find_by_token(session: AsyncSession, token: str) -> OutgoingMailRow | None:
    return await session.scalar(
        select(OutgoingMailRow).where(OutgoingMailRow.unsubscribe_token == token)
    )


async def unsubscribe(uow: UnitOfWork, token: str, *, now: datetime) -> OutgoingMailRow:
    """Honour an unsubscribe link: no more campaign mail to that contact or address."""
    async with uow:
        mail = await uow.session.scalar(
            select(OutgoingMailRow).where(OutgoingMailRow.unsubscribe_token == token)
        )
        if mail is None or mail.contact_id is None:
            raise NotFoundError("This unsubscribe link is not known.")
        row = UnsubscribeRow(
            tenant_id=mail.tenant_id,
            contact_id=mail.contact_id,
            email=mail.to_address,
            campaign_id=mail.campaign_id,
            mailing_id=mail.mailing_id,
            unsubscribed_at=now,
        )
        first = await uow.session.scalar(
            insert(UnsubscribeRow)
            .values({c.key: getattr(row, c.key) for c in UnsubscribeRow.__table__.columns})
            .on_conflict_do_nothing()
            .returning(UnsubscribeRow.contact_id)
        )
        if first is not None:
            await uow.session.execute(
                update(OutgoingMailRow)
                .where(
                    OutgoingMailRow.tenant_id == mail.tenant_id,
                    OutgoingMailRow.kind == "campaign",
                    OutgoingMailRow.status == "pending",
                    (OutgoingMailRow.contact_id == mail.contact_id)
                    | (OutgoingMailRow.to_address == mail.to_address),
                )
                .values(status="cancelled", last_error="the contact unsubscribed")
            )
            if mail.customer_id is not None and mail.campaign_id is not None:
                uow.emit(event_mapping.unsubscribed(row, mail.customer_id, mail.campaign_id))
        await uow.commit()
    return mail
