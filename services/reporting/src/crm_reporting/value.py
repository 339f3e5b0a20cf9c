"""Customer value reports: the value pyramid (Pareto) and profitability per customer.

Both rank customers by money. Over all time they read `customer_value` (one row per
customer and currency, indexed in rank order: see `adapters.customer_value`) and its
totals: the pyramid reads the top 20% of rows, profitability one page, whatever the number
of events. Over a period they sum the customers' monthly buckets instead (the period's
customers with money, ranked at query time).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from servicekit.auth import Principal
from servicekit.paging import PageParams, order_by
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.adapters import orm
from crm_reporting.entrypoints.api import schemas as s
from crm_reporting.views import ZERO, Filters, _none, _ratio, _scope, _sum, _where

TIERS = ("vip", "large", "medium", "small")
PROFIT_SORT = {"profit", "revenue", "expenses", "name", "customer_id"}


def tier_bounds(customers: int) -> dict[str, tuple[int, int]]:
    """Rank ranges (0 = most revenue) of each tier among `customers`, as the customers
    service ranks them: rank x 100 < n is VIP, < 5n large, < 20n medium, the rest small."""
    vip, large, medium = (-(-customers * share // 100) for share in (1, 5, 20))
    return {
        "vip": (0, vip),
        "large": (vip, large),
        "medium": (large, medium),
        "small": (medium, customers),
    }


def _over_all_time(filters: Filters) -> bool:
    return filters.start is None and filters.end is None


def _live_scope(principal: Principal, filters: Filters, table: Any) -> list[ColumnElement[bool]]:
    """The customers the reader may see, by their branch and owner (no period)."""
    return _scope(
        principal,
        Filters(branch=filters.branch, owner=filters.owner),
        tenant=table.c.tenant_id,
        branch=table.c.branch_id,
        owner=table.c.owner_id,
        month=None,
    )


async def _population(session: AsyncSession, principal: Principal, filters: Filters) -> int:
    """Live customers in scope, from the stage counts (a few rows per branch and owner)."""
    counts = orm.agg_customers
    where = _live_scope(principal, filters, counts)
    return int(await session.scalar(select(_sum(counts.c.customers)).where(*where)) or 0)


async def _main_currency(session: AsyncSession, principal: Principal, filters: Filters) -> Any:
    """The currency most of the visible revenue is in."""
    if _over_all_time(filters):
        table = orm.agg_customer_value
        where = [*_live_scope(principal, filters, table), table.c.currency != ""]
        amount = table.c.revenue
    else:  # the closed deals of the period (small buckets)
        table = orm.agg_closed
        where = [*_where(table, principal, filters), table.c.outcome == "won"]
        where.append(table.c.currency != "")
        amount = table.c.amount
    return await session.scalar(
        select(table.c.currency)
        .where(*where)
        .group_by(table.c.currency)
        .order_by(func.sum(amount).desc(), table.c.currency)
        .limit(1)
    )


def _period_revenue(principal: Principal, filters: Filters, currency: str) -> Select[Any]:
    """(customer_id, known, revenue) of each customer in scope with revenue in the period."""
    money, facts = orm.agg_customer_money, orm.customer_facts
    period = []
    if filters.start is not None:
        period.append(money.c.month >= filters.start)
    if filters.end is not None:
        period.append(money.c.month <= filters.end)
    revenue = func.sum(money.c.revenue)
    joined = money.join(
        facts,
        and_(facts.c.tenant_id == money.c.tenant_id, facts.c.customer_id == money.c.customer_id),
    )
    scope = _scope(
        principal,
        Filters(branch=filters.branch, owner=filters.owner),
        tenant=money.c.tenant_id,
        branch=func.coalesce(facts.c.branch_id, ""),
        owner=func.coalesce(facts.c.owner_id, ""),
        month=None,
    )
    return (
        select(money.c.customer_id, facts.c.known, revenue.label("revenue"))
        .select_from(joined)
        .where(*scope, *period, money.c.currency == currency, ~facts.c.deleted)
        .group_by(money.c.customer_id, facts.c.known)
        .having(revenue > 0)
    )


async def _top_tiers(
    session: AsyncSession, revenue: Select[Any], bounds: dict[str, tuple[int, int]]
) -> dict[str, Decimal]:
    """Revenue of the VIP, large and medium tiers: the top 20% of ranks, read in order."""
    ranked_rows = revenue.subquery("revenue")
    top = (
        select(ranked_rows.c.revenue, ranked_rows.c.customer_id)
        .order_by(ranked_rows.c.revenue.desc(), ranked_rows.c.customer_id)
        .limit(bounds["medium"][1])
        .subquery("top")
    )
    rank = func.row_number().over(order_by=(top.c.revenue.desc(), top.c.customer_id))
    ranked = select(top.c.revenue, (rank - literal(1)).label("rank")).subquery("ranked")
    tier = case(
        (ranked.c.rank < bounds["vip"][1], "vip"),
        (ranked.c.rank < bounds["large"][1], "large"),
        else_="medium",
    ).label("tier")
    rows = await session.execute(select(tier, func.sum(ranked.c.revenue)).group_by(tier))
    return {name: amount for name, amount in rows}


async def value_pyramid(
    session: AsyncSession, principal: Principal, filters: Filters, currency: str | None
) -> s.ValuePyramid:
    """Every customer in scope ranked by revenue (won deals, in one currency, closed in the
    period) into the tiers of the customers service: the live customers, and those known so
    far only through a won deal. Customers without revenue share the last ranks, so each
    tier's size follows from the count alone; only the top 20% of ranks are read to split
    the revenue."""
    currency = currency or await _main_currency(session, principal, filters) or ""
    customers = await _population(session, principal, filters)
    if _over_all_time(filters):
        value, totals = orm.customer_value, orm.agg_customer_value
        revenue: Select[Any] = select(value.c.customer_id, value.c.revenue).where(
            *_live_scope(principal, filters, value),
            value.c.currency == currency,
            value.c.revenue > 0,
        )
        in_currency = [*_live_scope(principal, filters, totals), totals.c.currency == currency]
        total_query = select(_sum(totals.c.revenue)).where(*in_currency)
        customers += int(
            await session.scalar(select(_sum(totals.c.placeholders)).where(*in_currency)) or 0
        )
    else:
        revenue = _period_revenue(principal, filters, currency)
        period = revenue.subquery("period")
        total_query = select(_sum(period.c.revenue))
        customers += int(await session.scalar(select(func.count()).where(~period.c.known)) or 0)
    bounds = tier_bounds(customers)
    total = await session.scalar(total_query) or ZERO
    found = await _top_tiers(session, revenue, bounds)
    found["small"] = total - sum(found.values(), ZERO)
    items = []
    for name in TIERS:
        low, high = bounds[name]
        amount = found.get(name, ZERO)
        items.append(
            s.TierRow(
                tier=name,
                customers=high - low,
                revenue=amount,
                customer_share=_ratio(high - low, customers),
                revenue_share=_ratio(amount, total),
            )
        )
    return s.ValuePyramid(
        currency=currency or None,
        customers=customers,
        revenue=total,
        top_20_percent_revenue_share=_ratio(total - found["small"], total),
        items=items,
    )


async def profitability(
    session: AsyncSession, principal: Principal, filters: Filters, page: PageParams
) -> s.Profitability:
    """Per live customer in scope and currency: revenue (won deals) minus approved expenses,
    in the period; one page in the order asked (most profitable first)."""
    if _over_all_time(filters):
        query, total = await _all_time_money(session, principal, filters)
    else:
        query, total = _period_money(principal, filters), None
    rows_query = query.subquery("money")
    sortable = {name: rows_query.c[name] for name in PROFIT_SORT}
    order = order_by(
        page.sort, sortable, default=[rows_query.c.profit.desc()], tiebreak=rows_query.c.customer_id
    )
    rows = list(
        await session.execute(
            select(rows_query).order_by(*order).limit(page.limit).offset(page.offset)
        )
    )
    if total is None:
        total = int(await session.scalar(select(func.count()).select_from(rows_query)) or 0)
    items = [
        s.ProfitabilityRow(
            customer_id=r.customer_id,
            name=r.name,
            branch_id=_none(r.branch_id),
            owner_id=_none(r.owner_id),
            currency=_none(r.currency),
            revenue=r.revenue,
            expenses=r.expenses,
            profit=r.profit,
        )
        for r in rows
    ]
    return s.Profitability(items=items, total=total, limit=page.limit, offset=page.offset)


async def _all_time_money(
    session: AsyncSession, principal: Principal, filters: Filters
) -> tuple[Select[Any], int]:
    value, totals = orm.customer_value, orm.agg_customer_value
    query = select(
        value.c.customer_id,
        value.c.name,
        value.c.branch_id,
        value.c.owner_id,
        value.c.currency,
        value.c.revenue,
        value.c.expenses,
        value.c.profit,
    ).where(*_live_scope(principal, filters, value))
    total_query = select(_sum(totals.c.customers)).where(*_live_scope(principal, filters, totals))
    return query, int(await session.scalar(total_query) or 0)


def _period_money(principal: Principal, filters: Filters) -> Select[Any]:
    money, facts = orm.agg_customer_money, orm.customer_facts
    joined = money.join(
        facts,
        and_(facts.c.tenant_id == money.c.tenant_id, facts.c.customer_id == money.c.customer_id),
    )
    branch, owner = func.coalesce(facts.c.branch_id, ""), func.coalesce(facts.c.owner_id, "")
    scope = _scope(
        principal,
        filters,
        tenant=money.c.tenant_id,
        branch=branch,
        owner=owner,
        month=money.c.month,
    )
    revenue, expenses = func.sum(money.c.revenue), func.sum(money.c.expenses)
    return (
        select(
            money.c.customer_id,
            facts.c.name,
            branch.label("branch_id"),
            owner.label("owner_id"),
            money.c.currency,
            revenue.label("revenue"),
            expenses.label("expenses"),
            (revenue - expenses).label("profit"),
        )
        .select_from(joined)
        .where(*scope, ~facts.c.deleted)
        .group_by(money.c.customer_id, facts.c.name, branch, owner, money.c.currency)
        .having(func.sum(money.c.entries) != 0)
    )
