"""The event feed for integrators who cannot reach Kafka.

Every event of every service is recorded per tenant in the consumer's transaction. A page is
served in (txid, seq) order and only up to the oldest transaction still running, read in one
REPEATABLE READ snapshot: a row committed late always sorts after everything served before,
so a client resuming from its cursor sees no gap and no repeat. Rows older than the retention
are deleted; a cursor from before the deleted part gets 410 and must start over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_contracts import CloudEvent
from servicekit.auth import Principal, Scope
from sqlalchemy import ColumnElement, and_, delete, or_, select, text, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_notifications.adapters.orm import CustomerOwnerRow, FeedEventRow, FeedWatermarkRow
from crm_notifications.domain.cursor import START, FeedPosition
from crm_notifications.domain.model import DomainError
from crm_notifications.domain.patterns import to_like
from crm_notifications.service_layer.directory import customer_id_of


class CursorExpired(DomainError):
    """The cursor points into what retention already deleted (410)."""


@dataclass(frozen=True)
class FeedItem:
    position: FeedPosition
    envelope: dict[str, Any]


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: FeedPosition
    has_more: bool


async def record(session: AsyncSession, event: CloudEvent) -> None:
    await session.execute(
        insert(FeedEventRow)
        .values(
            tenant_id=event.tenantid,
            event_id=event.id,
            event_type=event.type,
            branch_id=event.branchid,
            customer_id=customer_id_of(event.data),
            envelope=event.model_dump(mode="json", exclude_none=True),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.scope is Scope.ALL:
        return FeedEventRow.tenant_id == principal.tenant
    if principal.scope is Scope.BRANCH:
        return and_(
            FeedEventRow.tenant_id == principal.tenant,
            FeedEventRow.branch_id == principal.branch,
        )
    # A rep: events about the customers the rep owns now.
    owned = select(CustomerOwnerRow.customer_id).where(
        CustomerOwnerRow.tenant_id == principal.tenant,
        CustomerOwnerRow.owner_id == principal.user_id,
    )
    return and_(FeedEventRow.tenant_id == principal.tenant, FeedEventRow.customer_id.in_(owned))


def _types(patterns: list[str]) -> ColumnElement[bool]:
    if not patterns:
        return true()
    return or_(*(FeedEventRow.event_type.like(to_like(p), escape="\\") for p in patterns))


async def read_page(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    *,
    after: FeedPosition | None,
    since: datetime | None,
    types: list[str],
    limit: int,
) -> FeedPage:
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        horizon = int(
            await session.scalar(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            )
            or 0
        )
        mark = await session.get(FeedWatermarkRow, principal.tenant)
        watermark = FeedPosition(mark.txid, mark.seq) if mark is not None else START
        if after is not None and after < watermark:
            raise CursorExpired(
                "This cursor is older than the feed's retention; the events after it were "
                "deleted. Start again without `after` (or with `since`)."
            )
        start = after or watermark
        query = select(FeedEventRow.txid, FeedEventRow.seq, FeedEventRow.envelope).where(
            _scope(principal),
            tuple_(FeedEventRow.txid, FeedEventRow.seq) > tuple_(start.txid, start.seq),
            FeedEventRow.txid < horizon,
            _types(types),
        )
        if since is not None and after is None:
            query = query.where(FeedEventRow.recorded_at >= since)
        rows = (
            await session.execute(
                query.order_by(FeedEventRow.txid, FeedEventRow.seq).limit(limit + 1)
            )
        ).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        items = [FeedItem(FeedPosition(r.txid, r.seq), r.envelope) for r in rows]
        next_position = items[-1].position if items else start
        if not has_more:
            # Everything up to the tenant's newest settled row was looked at: skip past the
            # rows the filters left out, so the next call does not scan them again.
            head = (
                await session.execute(
                    select(FeedEventRow.txid, FeedEventRow.seq)
                    .where(FeedEventRow.tenant_id == principal.tenant, FeedEventRow.txid < horizon)
                    .order_by(FeedEventRow.txid.desc(), FeedEventRow.seq.desc())
                    .limit(1)
                )
            ).first()
            if head is not None:
                next_position = max(next_position, FeedPosition(head.txid, head.seq))
        await session.commit()
    return FeedPage(items=items, next=next_position, has_more=has_more)


async def purge(
    sessions: async_sessionmaker[AsyncSession], now: datetime, retention: timedelta
) -> int:
    """Delete rows recorded before the retention; remember per tenant how far it went."""
    cutoff = now - retention
    async with sessions() as session, session.begin():
        deleted = (
            await session.execute(
                delete(FeedEventRow)
                .where(FeedEventRow.recorded_at < cutoff)
                .returning(FeedEventRow.tenant_id, FeedEventRow.txid, FeedEventRow.seq)
            )
        ).all()
        newest: dict[str, FeedPosition] = {}
        for tenant, txid, seq in deleted:
            newest[tenant] = max(newest.get(tenant, START), FeedPosition(txid, seq))
        for tenant, position in newest.items():
            statement = insert(FeedWatermarkRow).values(
                tenant_id=tenant, txid=position.txid, seq=position.seq
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id"],
                    set_={"txid": statement.excluded.txid, "seq": statement.excluded.seq},
                    where=tuple_(FeedWatermarkRow.txid, FeedWatermarkRow.seq)
                    < tuple_(statement.excluded.txid, statement.excluded.seq),
                )
            )
    return len(deleted)
