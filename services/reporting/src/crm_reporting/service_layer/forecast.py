"""Forecast snapshots: the forecast of every opportunity that meets the tenant's quality bar,
kept as it was, so later forecasts and what really closed can be compared with it (002).

Snapshots are the service's own records, not a projection: a rebuild keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from servicekit.auth import Principal
from servicekit.errors import InvalidInput, NotFound
from servicekit.scheduler import ScheduledJob
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_reporting import views
from crm_reporting.adapters import orm
from crm_reporting.domain.pipeline import eligible_stages, open_stages
from crm_reporting.entrypoints.api import schemas as s

ZERO = Decimal(0)

_LINES = text(
    "INSERT INTO forecast_snapshot_lines (snapshot_id, opportunity_id, tenant_id, branch_id,"
    " owner_id, stage, probability, amount, currency, expected_close_date, weighted)"
    " SELECT :snapshot, opportunity_id, tenant_id, coalesce(branch_id, ''),"
    " coalesce(owner_id, ''), stage, coalesce(probability, 0), coalesce(amount, 0),"
    " coalesce(currency, ''), expected_close_date,"
    " coalesce(amount, 0) * coalesce(probability, 0) / 100"
    " FROM opportunities WHERE tenant_id = :tenant AND known AND status = 'open'"
    " AND stage = ANY(CAST(:stages AS text[])) AND expected_close_date IS NOT NULL"
)


async def policy(session: AsyncSession, tenant: str) -> s.ForecastPolicy:
    min_stage = await session.scalar(
        select(orm.forecast_policies.c.min_stage).where(orm.forecast_policies.c.tenant_id == tenant)
    )
    return s.ForecastPolicy(min_stage=min_stage)


async def set_policy(
    sessions: async_sessionmaker[AsyncSession], *, principal: Principal, wanted: s.ForecastPolicy
) -> s.ForecastPolicy:
    """Set the tenant's quality bar; the stage must be an open stage of its pipeline."""
    async with sessions() as session, session.begin():
        stages = await views.pipeline_stages(session, principal.tenant)
        if wanted.min_stage is not None and wanted.min_stage not in open_stages(stages):
            raise InvalidInput(
                f"{wanted.min_stage!r} is not an open stage of the pipeline "
                f"({', '.join(open_stages(stages))})"
            )
        table = orm.forecast_policies
        values = {"min_stage": wanted.min_stage, "updated_by": principal.user_id}
        await session.execute(
            insert(table)
            .values(tenant_id=principal.tenant, **values)
            .on_conflict_do_update(
                index_elements=[table.c.tenant_id], set_={**values, "updated_at": func.now()}
            )
        )
    return wanted


async def take_snapshot(
    session: AsyncSession, *, tenant: str, by: str, now: datetime, scheduled: bool = False
) -> UUID | None:
    """Store the forecast of every open opportunity at or past the tenant's minimum stage,
    in the caller's transaction. A scheduled one is taken once per tenant and day: None
    when today's exists already."""
    bar = await policy(session, tenant)
    stages = eligible_stages(await views.pipeline_stages(session, tenant), bar.min_stage)
    table = orm.forecast_snapshots
    snapshot_id: UUID | None = await session.scalar(
        insert(table)
        .values(
            snapshot_id=uuid4(),
            tenant_id=tenant,
            taken_at=now,
            taken_by=by,
            scheduled_for=now.date() if scheduled else None,
            min_stage=bar.min_stage,
            opportunities=0,
        )
        .on_conflict_do_nothing()
        .returning(table.c.snapshot_id)
    )
    if snapshot_id is None:
        return None
    lines = await session.execute(
        _LINES, {"snapshot": snapshot_id, "tenant": tenant, "stages": stages}
    )
    count = int(lines.rowcount or 0)  # type: ignore[attr-defined]
    await session.execute(
        table.update().where(table.c.snapshot_id == snapshot_id).values(opportunities=count)
    )
    return snapshot_id


async def snapshot_now(
    sessions: async_sessionmaker[AsyncSession], *, principal: Principal, now: datetime
) -> s.SnapshotRead:
    async with sessions() as session, session.begin():
        snapshot_id = await take_snapshot(
            session, tenant=principal.tenant, by=principal.user_id, now=now
        )
        assert snapshot_id is not None  # manual snapshots never collide
        return await read_snapshot(session, principal.tenant, snapshot_id)


async def scheduled_snapshots(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """The job: today's snapshot for every tenant with opportunities (idempotent per day)."""
    async with sessions() as session:
        tenants = list(
            await session.scalars(
                select(orm.opportunities.c.tenant_id).where(orm.opportunities.c.known).distinct()
            )
        )
    taken = 0
    for tenant in tenants:
        async with sessions() as session, session.begin():
            if await take_snapshot(session, tenant=tenant, by="system", now=now, scheduled=True):
                taken += 1
    return taken


def snapshot_job(interval_s: float) -> ScheduledJob:
    return ScheduledJob("reporting-forecast-snapshots", interval_s, scheduled_snapshots)


async def read_snapshot(session: AsyncSession, tenant: str, snapshot_id: UUID) -> s.SnapshotRead:
    table = orm.forecast_snapshots
    row = (
        await session.execute(
            select(table).where(table.c.tenant_id == tenant, table.c.snapshot_id == snapshot_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"No forecast snapshot {snapshot_id}.")
    return s.SnapshotRead.model_validate(row._mapping)


async def list_snapshots(session: AsyncSession, tenant: str, limit: int) -> s.Snapshots:
    table = orm.forecast_snapshots
    rows = await session.execute(
        select(table)
        .where(table.c.tenant_id == tenant)
        .order_by(table.c.taken_at.desc(), table.c.snapshot_id)
        .limit(limit)
    )
    return s.Snapshots(items=[s.SnapshotRead.model_validate(r._mapping) for r in rows])


async def _next_snapshot(
    session: AsyncSession, tenant: str, after: s.SnapshotRead
) -> s.SnapshotRead | None:
    table = orm.forecast_snapshots
    row = (
        await session.execute(
            select(table)
            .where(table.c.tenant_id == tenant, table.c.taken_at > after.taken_at)
            .order_by(table.c.taken_at, table.c.snapshot_id)
            .limit(1)
        )
    ).first()
    return s.SnapshotRead.model_validate(row._mapping) if row is not None else None


async def accuracy(
    session: AsyncSession,
    principal: Principal,
    filters: views.Filters,
    *,
    snapshot_id: UUID,
    compare_to: UUID | None,
    group_by: Sequence[str],
) -> s.ForecastAccuracy:
    """A snapshot against a later one (the next when not named) and against what became of
    its opportunities: won (and for how much), lost, still open, slipped."""
    snapshot = await read_snapshot(session, principal.tenant, snapshot_id)
    later = (
        await read_snapshot(session, principal.tenant, compare_to)
        if compare_to is not None
        else await _next_snapshot(session, principal.tenant, snapshot)
    )
    first = await views.snapshot_rows(
        session, principal, filters, snapshot_id, group_by, with_outcome=True
    )
    second = (
        await views.snapshot_rows(
            session, principal, filters, later.snapshot_id, group_by, with_outcome=False
        )
        if later is not None
        else {}
    )
    items = []
    for key in sorted(set(first) | set(second), key=lambda k: tuple(str(v) for v in k)):
        a: dict[str, Any] = first.get(key, {})
        b = second.get(key) if later is not None else None
        weighted = a.get("weighted", ZERO)
        won_amount = a.get("won_amount", ZERO)
        items.append(
            s.AccuracyRow(
                **dict(zip(group_by, key, strict=False)),
                currency=key[-1],
                forecast_opportunities=int(a.get("opportunities", 0)),
                forecast_amount=a.get("amount", ZERO),
                forecast_weighted=weighted,
                later_opportunities=int(b["opportunities"]) if b else (0 if later else None),
                later_amount=b["amount"] if b else (ZERO if later else None),
                later_weighted=b["weighted"] if b else (ZERO if later else None),
                won=int(a.get("won", 0)),
                won_amount=won_amount,
                lost=int(a.get("lost", 0)),
                open=int(a.get("open", 0)),
                slipped=int(a.get("slipped", 0)),
                accuracy=float(won_amount / weighted) if weighted else None,
            )
        )
    return s.ForecastAccuracy(snapshot=snapshot, compared_to=later, items=items)
