"""Read side: queries scoped to the reader, returning response schemas.

Visibility is part of every WHERE clause (adapters.scope), and a portal contact's comment
query never selects internal rows: nothing relies on filtering a response afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from crm_contracts.service_desk import TicketChannel, TicketPriority, TicketStatus
from pydantic import BaseModel
from servicekit.auth import Principal, Role
from servicekit.paging import Page, PageParams, fetch_page, order_by
from sqlalchemy import Select, case, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.adapters.orm import (
    AnnouncementRow,
    AssetRow,
    CommentRow,
    CustomerFactRow,
    SurveyRow,
    TicketRow,
)
from crm_service_desk.adapters.repository import comment_from_row, ticket_from_row
from crm_service_desk.adapters.scope import is_portal, visible_assets, visible_tickets
from crm_service_desk.domain.ticket import Ticket

M = TypeVar("M", bound=BaseModel)

PRIORITY_RANK = case(
    {p.value: rank for rank, p in enumerate(TicketPriority)}, value=TicketRow.priority
)
TICKET_SORTS: dict[str, Any] = {
    "created_at": TicketRow.created_at,
    "updated_at": TicketRow.updated_at,
    "priority": PRIORITY_RANK,
    "status": TicketRow.status,
    "first_response_due": TicketRow.fr_due_at,
    "resolution_due": TicketRow.res_due_at,
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class TicketFilter:
    status: tuple[TicketStatus, ...] = ()
    priority: TicketPriority | None = None
    channel: TicketChannel | None = None
    customer_id: UUID | None = None
    branch_id: str | None = None
    assignee_id: str | None = None
    unassigned: bool | None = None
    category: str | None = None
    escalated: bool | None = None
    breached: bool | None = None
    out_of_warranty: bool | None = None
    q: str | None = None

    def clauses(self) -> list[Any]:
        t = TicketRow
        equal = {
            "priority": t.priority,
            "channel": t.channel,
            "customer_id": t.customer_id,
            "branch_id": t.branch_id,
            "assignee_id": t.assignee_id,
            "category": t.category,
            "escalated": t.escalated,
            "out_of_warranty": t.out_of_warranty,
        }
        where: list[Any] = [
            col == getattr(self, n) for n, col in equal.items() if getattr(self, n) is not None
        ]
        if self.status:
            where.append(t.status.in_([s.value for s in self.status]))
        if self.unassigned is not None:
            where.append(t.assignee_id.is_(None) if self.unassigned else t.assignee_id.is_not(None))
        if self.breached is not None:
            breached = or_(t.fr_breached, t.res_breached)
            where.append(breached if self.breached else ~breached)
        if self.q:
            pattern = f"%{_escape_like(self.q)}%"
            named = exists().where(
                CustomerFactRow.tenant_id == t.tenant_id,
                CustomerFactRow.customer_id == t.customer_id,
                CustomerFactRow.name.ilike(pattern),
            )
            where.append(or_(t.subject.ilike(pattern), named))
        return where


async def _page(
    session: AsyncSession,
    query: Select[Any],
    page: PageParams,
    order: list[Any],
    convert: Any,
    schema: type[M],
) -> Page[M]:
    rows, total = await fetch_page(session, query, page, order)
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(convert(r)) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# -- tickets -----------------------------------------------------------------------------


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    where: TicketFilter,
    page: PageParams,
    schema: type[M],
) -> Page[M]:
    """The reader's queue: staff see their branch (all branches for HQ), a sales rep their
    customers' tickets, a portal contact its customer's."""
    query = select(TicketRow).where(visible_tickets(principal), *where.clauses())
    order = order_by(
        page.sort, TICKET_SORTS, default=[TicketRow.created_at.desc()], tiebreak=TicketRow.id
    )
    return await _page(session, query, page, order, ticket_from_row, schema)


async def ticket(session: AsyncSession, principal: Principal, ticket_id: UUID) -> Ticket | None:
    row = await session.scalar(
        select(TicketRow).where(TicketRow.id == ticket_id, visible_tickets(principal))
    )
    return ticket_from_row(row) if row is not None else None


async def comments(
    session: AsyncSession,
    principal: Principal,
    ticket_id: UUID,
    page: PageParams,
    schema: type[M],
) -> Page[M] | None:
    """A visible ticket's conversation in order (`sort=-created_at`: newest first); None if
    the ticket is not visible. Internal notes are never selected for a portal contact."""
    if await ticket(session, principal, ticket_id) is None:
        return None
    query = select(CommentRow).where(CommentRow.ticket_id == ticket_id)
    if is_portal(principal):
        query = query.where(~CommentRow.internal)
    # A comment's ticket version orders the conversation even within one instant.
    order = order_by(
        page.sort,
        {"created_at": CommentRow.ticket_version},
        default=[CommentRow.ticket_version],
        tiebreak=CommentRow.id,
    )
    return await _page(session, query, page, order, comment_from_row, schema)


async def survey(session: AsyncSession, principal: Principal, ticket_id: UUID) -> Any:
    return await session.scalar(
        select(SurveyRow)
        .join(TicketRow, TicketRow.id == SurveyRow.ticket_id)
        .where(SurveyRow.ticket_id == ticket_id, visible_tickets(principal))
    )


# -- assets ----------------------------------------------------------------------------------

ASSET_SORTS = {
    "created_at": AssetRow.created_at,
    "product": AssetRow.product,
    "serial": AssetRow.serial,
    "warranty_end": AssetRow.warranty_end,
}


async def list_assets(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    schema: type[M],
    *,
    customer_id: UUID | None = None,
    serial: str | None = None,
    warranty_ended_before: Any = None,
) -> Page[M]:
    query = select(AssetRow).where(visible_assets(principal))
    if customer_id is not None:
        query = query.where(AssetRow.customer_id == customer_id)
    if serial:
        query = query.where(AssetRow.serial.ilike(f"%{_escape_like(serial)}%"))
    if warranty_ended_before is not None:
        query = query.where(AssetRow.warranty_end < warranty_ended_before)
    order = order_by(
        page.sort, ASSET_SORTS, default=[AssetRow.created_at.desc()], tiebreak=AssetRow.id
    )
    return await _page(session, query, page, order, lambda r: r, schema)


async def asset(session: AsyncSession, principal: Principal, asset_id: UUID) -> AssetRow | None:
    row: AssetRow | None = await session.scalar(
        select(AssetRow).where(AssetRow.id == asset_id, visible_assets(principal))
    )
    return row


# -- announcements ------------------------------------------------------------------------


def _announcements(principal: Principal, now: datetime, drafts: bool) -> Select[Any]:
    """Published and unexpired ones; admins may ask for drafts and expired ones too."""
    query = select(AnnouncementRow).where(AnnouncementRow.tenant_id == principal.tenant)
    if drafts and Role.ADMIN in principal.roles and not is_portal(principal):
        return query
    return query.where(
        AnnouncementRow.publish_at <= now,
        or_(AnnouncementRow.expires_at.is_(None), AnnouncementRow.expires_at > now),
    )


async def list_announcements(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    schema: type[M],
    *,
    now: datetime,
    drafts: bool = False,
) -> Page[M]:
    order = order_by(
        page.sort,
        {"publish_at": AnnouncementRow.publish_at, "created_at": AnnouncementRow.created_at},
        default=[AnnouncementRow.publish_at.desc().nulls_first()],
        tiebreak=AnnouncementRow.id,
    )
    query = _announcements(principal, now, drafts)
    return await _page(session, query, page, order, lambda r: r, schema)


async def announcement(
    session: AsyncSession, principal: Principal, announcement_id: UUID, *, now: datetime
) -> AnnouncementRow | None:
    row: AnnouncementRow | None = await session.scalar(
        _announcements(principal, now, drafts=True).where(AnnouncementRow.id == announcement_id)
    )
    return row
