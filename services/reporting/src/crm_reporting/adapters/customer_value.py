"""Each customer's all-time money per currency (`customer_value`), kept beside the buckets.

The value pyramid ranks customers by revenue and profitability sorts them by profit. Summing
`agg_customer_money` per customer on every request costs as much as there are customers
(measured: ~0.9 s at 8,000). This table holds each customer's sums with the columns
reports scope by, indexed in rank order, so a report reads only the top rows it shows; and
`agg_customer_value` holds the totals per tenant, branch, owner and currency.

The rows are derived, not folded: at the end of each batch the rows of every customer whose
money or facts changed are computed again from `agg_customer_money` and `customer_facts` (a
function of the state, so duplicates and arrival order do not matter), and the totals move
by the difference. Concurrent writers (replicas) take turns at this step, through an
advisory lock per schema held to the commit, so each one computes from what the other
committed; it is the batch's last step, so nothing else is waited for while holding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.adapters import store
from crm_reporting.domain.entities import CUSTOMER_VALUE
from crm_reporting.domain.state import Deltas

_TOUCHED = "SELECT * FROM unnest(CAST(:tenants AS text[]), CAST(:customers AS uuid[]))"
_TURN = text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.customer_value'))")
_FORGET = text(
    "DELETE FROM customer_value WHERE (tenant_id, customer_id) IN (" + _TOUCHED + ")"
    " RETURNING tenant_id, branch_id, owner_id, currency, revenue, expenses, known"
)
# Customers not deleted, also those known so far only through another service's events
# (`known` false: the reports show them in their branch, nobody's, until their own come).
_DERIVE = text(
    "INSERT INTO customer_value (tenant_id, customer_id, currency, branch_id, owner_id, name,"
    " known, entries, revenue, expenses, profit)"
    " SELECT m.tenant_id, m.customer_id, m.currency, coalesce(f.branch_id, ''),"
    " coalesce(f.owner_id, ''), f.name, f.known, sum(m.entries), sum(m.revenue),"
    " sum(m.expenses), sum(m.revenue) - sum(m.expenses)"
    " FROM agg_customer_money AS m JOIN customer_facts AS f"
    " ON f.tenant_id = m.tenant_id AND f.customer_id = m.customer_id"
    " WHERE (m.tenant_id, m.customer_id) IN (" + _TOUCHED + ") AND NOT f.deleted"
    " GROUP BY m.tenant_id, m.customer_id, m.currency, f.branch_id, f.owner_id, f.name, f.known"
    " HAVING sum(m.entries) <> 0"
    " RETURNING tenant_id, branch_id, owner_id, currency, revenue, expenses, known"
)


async def refresh(session: AsyncSession, customers: Iterable[tuple[str, UUID]]) -> None:
    """Derive the rows of `customers` (tenant, customer id) again; move the totals."""
    keys = sorted(set(customers), key=lambda k: (k[0], str(k[1])))
    if not keys:
        return
    params = {"tenants": [k[0] for k in keys], "customers": [k[1] for k in keys]}
    await session.execute(_TURN)
    deltas = Deltas()
    deltas.add(_totals(await session.execute(_FORGET, params)), -1)
    deltas.add(_totals(await session.execute(_DERIVE, params)), 1)
    buckets = deltas.nonzero().get(CUSTOMER_VALUE.name)
    if buckets:
        await store.move(session, CUSTOMER_VALUE, buckets)


def _totals(rows: Any) -> Iterable[tuple[str, tuple[Any, ...], tuple[Any, ...]]]:
    for tenant, branch, owner, currency, revenue, expenses, known in rows:
        measures = (1, revenue, expenses, int(not known and revenue > 0))
        yield CUSTOMER_VALUE.name, (tenant, branch, owner, currency), measures
