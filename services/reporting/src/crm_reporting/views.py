"""Reports: read-side queries over the pre-aggregated tables, scoped in SQL.

Scope (servicekit `Principal.visibility`): executives, admins, marketing and integrators see
the whole tenant, a branch manager (or service agent) the branch, a sales rep the rows they
own. Tables without an owner (campaign touches) fall back to the branch for a rep.

What each report reads:
* funnel, pipeline, win rate, sales, product sales, growth, rep activity, service,
  campaigns: sums over `agg_*` buckets (per tenant, branch, owner, month, ...), so their
  cost follows the number of buckets, not of events;
* value pyramid and profitability: in `value` (per-customer sums kept in rank order);
* forecast accuracy: the snapshot's lines joined with the opportunities' current state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from servicekit.auth import Principal, Scope
from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.adapters import orm
from crm_reporting.domain.pipeline import conversion_chain, stages_or_default
from crm_reporting.entrypoints.api import schemas as s

ZERO = Decimal(0)


@dataclass(frozen=True)
class Filters:
    """Branch, owner and a period of whole months (both ends included)."""

    branch: str | None = None
    owner: str | None = None
    start: date | None = None
    end: date | None = None


def _none(value: Any) -> Any:
    return None if value == "" else value


def _ratio(part: Any, whole: Any) -> float | None:
    return float(part) / float(whole) if whole else None


def _scope(
    principal: Principal,
    filters: Filters,
    *,
    tenant: ColumnElement[Any] | Any,
    branch: ColumnElement[Any] | Any,
    owner: ColumnElement[Any] | Any | None,
    month: ColumnElement[Any] | Any | None,
) -> list[ColumnElement[bool]]:
    conditions = [principal.visibility(tenant_col=tenant, branch_col=branch, owner_col=owner)]
    if filters.branch is not None:
        conditions.append(branch == filters.branch)
    if filters.owner is not None:
        conditions.append(owner == filters.owner if owner is not None else false())
    if month is not None and filters.start is not None:
        conditions.append(month >= filters.start)
    if month is not None and filters.end is not None:
        conditions.append(month <= filters.end)
    return conditions


def _where(table: Table, principal: Principal, filters: Filters) -> list[ColumnElement[bool]]:
    return _scope(
        principal,
        filters,
        tenant=table.c.tenant_id,
        branch=table.c.branch_id,
        owner=table.c.owner_id if "owner_id" in table.c else None,
        month=table.c.month if "month" in table.c else None,
    )


async def _grouped(
    session: AsyncSession,
    table: Table,
    principal: Principal,
    filters: Filters,
    keys: Sequence[str],
    measures: dict[str, ColumnElement[Any]],
    *extra: ColumnElement[bool],
) -> list[dict[str, Any]]:
    """Sums of `measures` per `keys` over the visible, filtered buckets of `table`."""
    columns = [table.c[k] for k in keys]
    query = (
        select(*columns, *(m.label(name) for name, m in measures.items()))
        .where(*_where(table, principal, filters), *extra)
        .group_by(*columns)
        .order_by(*columns)
    )
    rows = await session.execute(query)
    return [{k: _none(v) for k, v in row._mapping.items()} for row in rows]


def _sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def _int(value: Any) -> int:
    return int(value or 0)


def _dims(row: dict[str, Any], group_by: Sequence[str]) -> dict[str, Any]:
    return {k: row.get(k) for k in group_by}


# --- customers ---------------------------------------------------------------------------


async def customer_summary(
    session: AsyncSession, principal: Principal, branch: str | None
) -> s.CustomerSummary:
    table = orm.agg_customers
    rows = await _grouped(
        session,
        table,
        principal,
        Filters(branch=branch),
        ["branch_id", "lifecycle_stage"],
        {"customers": _sum(table.c.customers)},
        table.c.customers != 0,
    )
    items = [
        s.CustomerSummaryRow(
            branch_id=r["branch_id"] or "",
            lifecycle_stage=r["lifecycle_stage"] or "",
            customers=_int(r["customers"]),
        )
        for r in rows
        if _int(r["customers"])
    ]
    return s.CustomerSummary(items=items, total=sum(r.customers for r in items))


async def growth(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Growth:
    table = orm.agg_customer_flow
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        [*group_by, "kind"],
        {"customers": _sum(table.c.customers)},
    )
    merged: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        merged[tuple(r[k] for k in group_by)][r["kind"]] += _int(r["customers"])
    items = []
    for key, counts in sorted(merged.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        items.append(
            s.GrowthRow(
                **dict(zip(group_by, key, strict=True)),
                created=counts["created"],
                converted=counts["converted"],
                churned=counts["churned"],
                lost=counts["lost"],
                net=counts["converted"] - counts["churned"],
            )
        )
    return s.Growth(items=[i for i in items if i.created or i.converted or i.churned or i.lost])


async def churn_reasons(
    session: AsyncSession, principal: Principal, filters: Filters
) -> s.ChurnReasons:
    table = orm.agg_customer_flow
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        ["kind", "reason"],
        {"customers": _sum(table.c.customers)},
        table.c.kind.in_(("churned", "lost")),
    )
    items = [
        s.ChurnReasonRow(kind=r["kind"], reason=r["reason"], customers=_int(r["customers"]))
        for r in rows
        if _int(r["customers"])
    ]
    items.sort(key=lambda r: (r.kind, -r.customers, r.reason or ""))
    return s.ChurnReasons(items=items)


# --- opportunities -------------------------------------------------------------------------


async def pipeline_stages(session: AsyncSession, tenant: str) -> list[dict[str, Any]]:
    stages = await session.scalar(
        select(orm.pipelines.c.stages).where(
            orm.pipelines.c.tenant_id == tenant, orm.pipelines.c.known
        )
    )
    return stages_or_default(stages)


async def funnel(session: AsyncSession, principal: Principal, filters: Filters) -> s.Funnel:
    table = orm.agg_funnel
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        ["currency", "stage"],
        {
            "entered": _sum(table.c.entered),
            "entered_amount": _sum(table.c.entered_amount),
            "in_stage": _sum(table.c.in_stage),
            "in_stage_amount": _sum(table.c.in_stage_amount),
        },
    )
    stages = await pipeline_stages(session, principal.tenant)
    outcome = {str(st["key"]): st["outcome"] for st in stages}
    order = [str(st["key"]) for st in stages]
    chain = conversion_chain(stages)
    by_currency: dict[Any, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        if _int(r["entered"]):
            by_currency[r["currency"]][r["stage"]] = r
    items: list[s.FunnelRow] = []
    for currency in sorted(by_currency, key=lambda c: c or ""):
        found = by_currency[currency]
        keys = [k for k in order if k in found] + sorted(k for k in found if k not in outcome)
        for key in keys:
            r = found[key]
            conversion = None
            if key in chain and chain.index(key) + 1 < len(chain):
                following = found.get(chain[chain.index(key) + 1])
                conversion = _ratio(_int(following["entered"]) if following else 0, r["entered"])
            items.append(
                s.FunnelRow(
                    stage=key,
                    outcome=outcome.get(key),
                    currency=currency,
                    entered=_int(r["entered"]),
                    entered_amount=r["entered_amount"],
                    in_stage=_int(r["in_stage"]),
                    in_stage_amount=r["in_stage_amount"],
                    conversion_to_next=conversion,
                )
            )
    return s.Funnel(items=items)


async def pipeline(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Pipeline:
    table = orm.agg_pipeline
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        [*group_by, "currency"],
        {
            "opportunities": _sum(table.c.opportunities),
            "amount": _sum(table.c.amount),
            "weighted": _sum(table.c.weighted),
        },
    )
    return s.Pipeline(
        items=[
            s.PipelineRow(
                **_dims(r, group_by),
                currency=r["currency"],
                opportunities=_int(r["opportunities"]),
                amount=r["amount"],
                weighted=r["weighted"],
            )
            for r in rows
            if _int(r["opportunities"])
        ]
    )


def _closed_measures(table: Table) -> dict[str, ColumnElement[Any]]:
    won = table.c.outcome == "won"
    lost = table.c.outcome == "lost"
    return {
        "won": _sum(case((won, table.c.opportunities), else_=0)),
        "lost": _sum(case((lost, table.c.opportunities), else_=0)),
        "won_amount": _sum(case((won, table.c.amount), else_=0)),
        "lost_amount": _sum(case((lost, table.c.amount), else_=0)),
        "won_cycle_days": _sum(case((won, table.c.cycle_days), else_=0)),
    }


async def win_rate(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.WinRate:
    table = orm.agg_closed
    rows = await _grouped(
        session, table, principal, filters, [*group_by, "currency"], _closed_measures(table)
    )
    items = []
    for r in rows:
        won, lost = _int(r["won"]), _int(r["lost"])
        if not won and not lost:
            continue
        won_amount, lost_amount = r["won_amount"], r["lost_amount"]
        items.append(
            s.WinRateRow(
                **_dims(r, group_by),
                currency=r["currency"],
                won=won,
                lost=lost,
                won_amount=won_amount,
                lost_amount=lost_amount,
                win_rate=_ratio(won, won + lost),
                win_rate_by_amount=_ratio(won_amount, won_amount + lost_amount),
                average_cycle_days=_ratio(r["won_cycle_days"], won),
            )
        )
    return s.WinRate(items=items)


async def sales(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Sales:
    table = orm.agg_closed
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        [*group_by, "currency"],
        {"deals": _sum(table.c.opportunities), "amount": _sum(table.c.amount)},
        table.c.outcome == "won",
    )
    return s.Sales(
        items=[
            s.SalesRow(
                **_dims(r, group_by),
                currency=r["currency"],
                deals=_int(r["deals"]),
                amount=r["amount"],
            )
            for r in rows
            if _int(r["deals"])
        ]
    )


async def product_sales(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.ProductSales:
    table, products = orm.agg_products, orm.products
    keys = [table.c[k] for k in (*group_by, "product_id", "currency")]
    query = (
        select(
            *keys,
            products.c.sku,
            products.c.name,
            _sum(table.c.lines).label("lines"),
            _sum(table.c.quantity).label("quantity"),
            _sum(table.c.net_amount).label("net_amount"),
            _sum(table.c.cost).label("cost"),
        )
        .select_from(
            table.outerjoin(
                products,
                and_(
                    products.c.tenant_id == table.c.tenant_id,
                    products.c.product_id == table.c.product_id,
                ),
            )
        )
        .where(*_where(table, principal, filters))
        .group_by(*keys, products.c.sku, products.c.name)
        .order_by(*keys)
    )
    items = []
    for row in await session.execute(query):
        r = {k: _none(v) for k, v in row._mapping.items()}
        if not _int(r["lines"]):
            continue
        items.append(
            s.ProductSalesRow(
                **_dims(r, group_by),
                product_id=r["product_id"],
                sku=r["sku"],
                name=r["name"],
                currency=r["currency"],
                lines=_int(r["lines"]),
                quantity=r["quantity"],
                net_amount=r["net_amount"],
                cost=r["cost"],
                margin=r["net_amount"] - r["cost"],
            )
        )
    items.sort(key=lambda i: (*(str(getattr(i, k)) for k in group_by), -i.net_amount))
    return s.ProductSales(items=items)


def _by_status(
    rows: list[dict[str, Any]], group_by: Sequence[str], count: str, amount: str
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows per (group, currency) with a count per status, from rows per status."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        key = (*(r[k] for k in group_by), r["currency"])
        row = merged.setdefault(key, {count: 0, amount: ZERO, "statuses": defaultdict(int)})
        row[count] += _int(r[count])
        row[amount] += r[amount]
        row["statuses"][r["status"]] += _int(r[count])
    return {k: v for k, v in merged.items() if v[count]}


async def quotes(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Quotes:
    table = orm.agg_quotes
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        [*group_by, "currency", "status"],
        {
            "quotes": _sum(table.c.quotes),
            "total": _sum(table.c.total),
            "loss_alarms": _sum(table.c.loss_alarms),
        },
    )
    alarms: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in rows:
        alarms[(*(r[k] for k in group_by), r["currency"])] += _int(r["loss_alarms"])
    items = []
    for key, row in _by_status(rows, group_by, "quotes", "total").items():
        st = row["statuses"]
        items.append(
            s.QuotesRow(
                **dict(zip(group_by, key, strict=False)),
                currency=key[-1],
                quotes=row["quotes"],
                total=row["total"],
                draft=st["draft"],
                sent=st["sent"],
                accepted=st["accepted"],
                rejected=st["rejected"],
                acceptance_rate=_ratio(st["accepted"], st["accepted"] + st["rejected"]),
                loss_alarms=alarms[key],
            )
        )
    return s.Quotes(items=items)


async def contracts(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Contracts:
    table = orm.agg_contracts
    rows = await _grouped(
        session,
        table,
        principal,
        filters,
        [*group_by, "currency", "status"],
        {"contracts": _sum(table.c.contracts), "amount": _sum(table.c.amount)},
    )
    items = []
    for key, row in _by_status(rows, group_by, "contracts", "amount").items():
        st = row["statuses"]
        items.append(
            s.ContractsRow(
                **dict(zip(group_by, key, strict=False)),
                currency=key[-1],
                contracts=row["contracts"],
                amount=row["amount"],
                active=st["active"],
                expiring=st["expiring"],
                renewed=st["renewed"],
                not_renewed=st["not_renewed"],
                renewal_rate=_ratio(st["renewed"], st["renewed"] + st["not_renewed"]),
            )
        )
    return s.Contracts(items=items)


# --- activity and service ----------------------------------------------------------------


async def rep_activity(session: AsyncSession, principal: Principal, filters: Filters) -> s.Activity:
    activity, customers = orm.agg_activity, orm.agg_customers
    done = await _grouped(
        session,
        activity,
        principal,
        filters,
        ["branch_id", "owner_id"],
        {
            name: _sum(activity.c[name])
            for name in (
                "interactions",
                "tasks_planned",
                "tasks_done",
                "tasks_done_late",
                "tasks_overdue",
            )
        },
    )
    owned = await _grouped(
        session,
        customers,
        principal,
        Filters(branch=filters.branch, owner=filters.owner),
        ["branch_id", "owner_id"],
        {
            "customers": _sum(customers.c.customers),
            "filled_fields": _sum(customers.c.filled_fields),
            "known_fields": _sum(customers.c.known_fields),
        },
    )
    rows: dict[tuple[Any, Any], dict[str, Any]] = defaultdict(dict)
    for r in done:
        rows[(r["branch_id"], r["owner_id"])].update(r)
    for r in owned:
        if r["owner_id"] is not None:  # the pool is nobody's activity
            rows[(r["branch_id"], r["owner_id"])].update(r)
    items = []
    for (branch, owner), r in sorted(rows.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        count = _int(r.get("customers"))
        item = s.ActivityRow(
            branch_id=branch,
            owner_id=owner,
            interactions=_int(r.get("interactions")),
            tasks_planned=_int(r.get("tasks_planned")),
            tasks_done=_int(r.get("tasks_done")),
            tasks_done_late=_int(r.get("tasks_done_late")),
            tasks_overdue=_int(r.get("tasks_overdue")),
            customers=count,
            completeness=_ratio(_int(r.get("filled_fields")), _int(r.get("known_fields"))),
        )
        if any(v for k, v in item.model_dump().items() if k not in ("branch_id", "owner_id")):
            items.append(item)
    return s.Activity(items=items)


async def service(
    session: AsyncSession, principal: Principal, filters: Filters, group_by: Sequence[str]
) -> s.Service:
    table = orm.agg_service
    names = [c.name for c in table.c if c.name not in table.primary_key.columns]
    rows = await _grouped(
        session, table, principal, filters, group_by, {n: _sum(table.c[n]) for n in names}
    )
    items = []
    for r in rows:
        tickets = _int(r["tickets"])
        if not tickets:
            continue
        responded, resolved = _int(r["responded"]), _int(r["resolved"])
        items.append(
            s.ServiceRow(
                **_dims(r, group_by),
                tickets=tickets,
                responded=responded,
                average_first_response_minutes=_ratio(_int(r["response_seconds"]) / 60, responded),
                resolved=resolved,
                average_resolution_minutes=_ratio(_int(r["resolve_seconds"]) / 60, resolved),
                first_response_compliance=1 - _int(r["first_response_breached"]) / tickets,
                resolution_compliance=1 - _int(r["resolution_breached"]) / tickets,
                sla_compliance=1 - _int(r["breached"]) / tickets,
                csat_answers=_int(r["csat_answers"]),
                csat_average=_ratio(_int(r["csat_sum"]), _int(r["csat_answers"])),
            )
        )
    return s.Service(items=items)


# --- campaigns -------------------------------------------------------------------------------


async def campaigns(session: AsyncSession, principal: Principal, filters: Filters) -> s.Campaigns:
    touches, opps, known = orm.agg_campaign_touches, orm.agg_campaign_opps, orm.campaigns
    touched = await _grouped(
        session,
        touches,
        principal,
        filters,
        ["campaign_id", "kind"],
        {"touches": _sum(touches.c.touches)},
    )
    attributed = await _grouped(
        session,
        opps,
        principal,
        filters,
        ["campaign_id", "currency"],
        {
            "opportunities": _sum(opps.c.opportunities),
            "won": _sum(opps.c.won),
            "won_amount": _sum(opps.c.won_amount),
        },
    )
    plans = {
        r.campaign_id: r
        for r in await session.execute(select(known).where(known.c.tenant_id == principal.tenant))
    }
    counts: dict[UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in touched:
        counts[r["campaign_id"]][r["kind"]] += _int(r["touches"])
    money: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for r in attributed:
        money[r["campaign_id"]].append(r)
    ids = set(counts) | set(money)
    if principal.scope is Scope.ALL:
        ids |= set(plans)
    items = []
    for campaign_id in ids:
        plan = plans.get(campaign_id)
        currency = plan.currency if plan is not None else None
        budget = plan.budget if plan is not None else None
        c, m = counts[campaign_id], money[campaign_id]
        kinds = ("opened", "replied", "interested", "unsubscribed")
        responses = sum(c[f"response:{k}"] for k in kinds)
        won_amount = sum(
            (r["won_amount"] for r in m if currency is None or r["currency"] == currency), ZERO
        )
        items.append(
            s.CampaignRow(
                campaign_id=campaign_id,
                name=plan.name if plan is not None else None,
                channel=plan.channel if plan is not None else None,
                budget=budget,
                currency=currency,
                mails_queued=c["mail_queued"],
                mails_sent=c["mail_sent"],
                unsubscribed=c["mail_unsubscribed"] + c["response:unsubscribed"],
                responses=responses,
                opened=c["response:opened"],
                replied=c["response:replied"],
                interested=c["response:interested"],
                opportunities=sum(_int(r["opportunities"]) for r in m),
                won=sum(_int(r["won"]) for r in m),
                won_amount=won_amount,
                cost_per_response=(budget / responses).quantize(Decimal("0.01"))
                if budget is not None and responses
                else None,
                return_on_budget=_ratio(won_amount - budget, budget) if budget else None,
            )
        )
    items.sort(key=lambda i: (i.name or "", str(i.campaign_id)))
    return s.Campaigns(items=items)


# --- directory ---------------------------------------------------------------------------


async def dimensions(session: AsyncSession, principal: Principal) -> s.DimensionsRead:
    """Branches and owners that appear in what the reader may see."""
    sources = (orm.agg_customers, orm.agg_pipeline, orm.agg_closed, orm.agg_activity)
    scoped = [
        select(t.c.branch_id, t.c.owner_id).where(*_where(t, principal, Filters())) for t in sources
    ]
    rows = (await session.execute(union(*scoped))).all()
    return s.DimensionsRead(
        branches=sorted({r.branch_id for r in rows if r.branch_id}),
        owners=sorted({r.owner_id for r in rows if r.owner_id}),
    )


# --- forecast accuracy -------------------------------------------------------------------


def snapshot_month() -> ColumnElement[Any]:
    lines = orm.forecast_snapshot_lines
    return cast(func.date_trunc("month", lines.c.expected_close_date), Date)


async def snapshot_rows(
    session: AsyncSession,
    principal: Principal,
    filters: Filters,
    snapshot_id: UUID,
    group_by: Sequence[str],
    *,
    with_outcome: bool,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """A snapshot's lines summed per `group_by` and currency (month: expected close), with
    what became of those opportunities since when `with_outcome`."""
    lines, opps = orm.forecast_snapshot_lines, orm.opportunities
    month = snapshot_month()
    dims = {"branch_id": lines.c.branch_id, "owner_id": lines.c.owner_id, "month": month}
    keys = [dims[k].label(k) for k in group_by] + [lines.c.currency.label("currency")]
    measures = [
        func.count().label("opportunities"),
        _sum(lines.c.amount).label("amount"),
        _sum(lines.c.weighted).label("weighted"),
    ]
    source: Any = lines
    if with_outcome:
        status = opps.c.status
        next_month = cast(month + literal_column("interval '1 month'"), Date)
        measures += [
            func.count().filter(status == "won").label("won"),
            _sum(case((status == "won", opps.c.amount), else_=0)).label("won_amount"),
            func.count().filter(status == "lost").label("lost"),
            func.count().filter(or_(status == "open", status.is_(None))).label("open"),
            func.count()
            .filter(status == "open", opps.c.expected_close_date >= next_month)
            .label("slipped"),
        ]
        source = lines.outerjoin(
            opps,
            and_(
                opps.c.tenant_id == lines.c.tenant_id,
                opps.c.opportunity_id == lines.c.opportunity_id,
            ),
        )
    conditions = _scope(
        principal,
        filters,
        tenant=lines.c.tenant_id,
        branch=lines.c.branch_id,
        owner=lines.c.owner_id,
        month=month,
    )
    query = (
        select(*keys, *measures)
        .select_from(source)
        .where(lines.c.snapshot_id == snapshot_id, *conditions)
        .group_by(*(k.element for k in keys))
    )
    result: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in await session.execute(query):
        r = {k: _none(v) for k, v in row._mapping.items()}
        result[tuple(r[k] for k in (*group_by, "currency"))] = r
    return result
