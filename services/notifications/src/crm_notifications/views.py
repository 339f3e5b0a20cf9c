"""Read side: queries that return response schemas directly, always scoped to the reader."""

from __future__ import annotations

from uuid import UUID

from servicekit.auth import Principal
from servicekit.paging import PageParams, fetch_page, order_by
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.adapters.orm import (
    DirectoryUserRow,
    NotificationRow,
    RuleSettingRow,
    TenantSettingsRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from crm_notifications.bootstrap import Services
from crm_notifications.domain.model import NotFoundError
from crm_notifications.domain.rules import (
    BranchManagers,
    Channel,
    CustomerOwner,
    ManagerOf,
    Rule,
    RuleSetting,
    Selector,
    UserField,
    effective_channels,
)
from crm_notifications.entrypoints.api.schemas import (
    AttemptRead,
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
    EndpointRead,
    InboxItem,
    InboxPage,
    RuleRead,
    SettingsRead,
    UserRead,
)


async def inbox(
    session: AsyncSession, principal: Principal, page: PageParams, *, unread_only: bool
) -> InboxPage:
    mine = (
        NotificationRow.tenant_id == principal.tenant,
        NotificationRow.recipient_id == principal.user_id,
        NotificationRow.in_inbox.is_(True),
    )
    query = select(NotificationRow).where(*mine)
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    order = order_by(
        page.sort,
        {"created_at": NotificationRow.created_at},
        default=[NotificationRow.created_at.desc()],
        tiebreak=NotificationRow.id,
    )
    rows, total = await fetch_page(session, query, page, order)
    unread = await session.scalar(
        select(func.count()).where(*mine, NotificationRow.read_at.is_(None))
    )
    return InboxPage(
        items=[InboxItem.model_validate(r) for r in rows],
        total=total,
        unread=int(unread or 0),
        limit=page.limit,
        offset=page.offset,
    )


async def users(session: AsyncSession, principal: Principal) -> list[UserRead]:
    rows = await session.scalars(
        select(DirectoryUserRow)
        .where(DirectoryUserRow.tenant_id == principal.tenant)
        .order_by(DirectoryUserRow.user_id)
    )
    return [UserRead.model_validate(r) for r in rows]


async def user(session: AsyncSession, principal: Principal, user_id: str) -> UserRead:
    row = await session.get(DirectoryUserRow, (principal.tenant, user_id))
    if row is None:
        raise NotFoundError(f"No user {user_id} in the directory.")
    return UserRead.model_validate(row)


def describe(selector: Selector) -> str:
    match selector:
        case UserField(name=name):
            return f"the user in `{name}`"
        case CustomerOwner():
            return "the customer's owner"
        case ManagerOf(of=inner):
            return f"the branch manager of {describe(inner)}"
        case BranchManagers(field=field):
            return f"the managers of the branch in `{field}`" if field else "the branch managers"
    return str(selector)


def rule_read(rule: Rule, row: RuleSettingRow | None) -> RuleRead:
    setting = None
    if row is not None:
        setting = RuleSetting(
            enabled=row.enabled,
            channels=None if row.channels is None else frozenset(Channel(c) for c in row.channels),
        )
    return RuleRead(
        key=rule.key,
        summary=rule.summary,
        on=list(rule.on),
        recipients=[describe(s) for s in rule.to],
        default_channels=sorted(rule.channels),
        scheduled=rule.schedule is not None,
        enabled=row.enabled if row is not None else True,
        channels=sorted(effective_channels(rule, setting)),
        version=row.version if row is not None else None,
    )


async def rules(session: AsyncSession, services: Services, principal: Principal) -> list[RuleRead]:
    rows = {
        r.rule: r
        for r in await session.scalars(
            select(RuleSettingRow).where(RuleSettingRow.tenant_id == principal.tenant)
        )
    }
    return [rule_read(rule, rows.get(rule.key)) for rule in services.rules.rules]


async def settings(session: AsyncSession, services: Services, principal: Principal) -> SettingsRead:
    row = await session.get(TenantSettingsRow, principal.tenant)
    own = row.mail_from if row is not None else None
    return SettingsRead(
        mail_from=own or services.settings.mail_from,
        custom_sender=own is not None,
        version=row.version if row is not None else None,
    )


async def endpoints(session: AsyncSession, principal: Principal) -> list[EndpointRead]:
    rows = await session.scalars(
        select(WebhookEndpointRow)
        .where(WebhookEndpointRow.tenant_id == principal.tenant)
        .order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
    )
    return [EndpointRead.model_validate(r) for r in rows]


async def endpoint_row(
    session: AsyncSession, principal: Principal, endpoint_id: UUID
) -> WebhookEndpointRow:
    row = await session.scalar(
        select(WebhookEndpointRow).where(
            WebhookEndpointRow.tenant_id == principal.tenant, WebhookEndpointRow.id == endpoint_id
        )
    )
    if row is None:
        raise NotFoundError(f"No webhook endpoint {endpoint_id}.")
    return row


async def deliveries(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: UUID,
    page: PageParams,
    *,
    status: str | None,
) -> DeliveryPage:
    await endpoint_row(session, principal, endpoint_id)
    query = select(WebhookDeliveryRow).where(
        WebhookDeliveryRow.tenant_id == principal.tenant,
        WebhookDeliveryRow.endpoint_id == endpoint_id,
    )
    if status:
        query = query.where(WebhookDeliveryRow.status == status)
    order = order_by(
        page.sort,
        {"created_at": WebhookDeliveryRow.created_at},
        default=[WebhookDeliveryRow.created_at.desc()],
        tiebreak=WebhookDeliveryRow.id,
    )
    rows, total = await fetch_page(session, query, page, order)
    return DeliveryPage(
        items=[DeliveryRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def delivery(
    session: AsyncSession, principal: Principal, delivery_id: UUID
) -> DeliveryDetail:
    row = await session.scalar(
        select(WebhookDeliveryRow).where(
            WebhookDeliveryRow.tenant_id == principal.tenant, WebhookDeliveryRow.id == delivery_id
        )
    )
    if row is None:
        raise NotFoundError(f"No webhook delivery {delivery_id}.")
    attempts = await session.scalars(
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.delivery_id == delivery_id)
        .order_by(WebhookAttemptRow.attempt, WebhookAttemptRow.id)
    )
    return DeliveryDetail(
        **DeliveryRead.model_validate(row).model_dump(),
        log=[AttemptRead.model_validate(a) for a in attempts],
    )
