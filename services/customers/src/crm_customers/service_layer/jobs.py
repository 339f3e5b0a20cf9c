"""Scheduled jobs of the customers service (each takes `now`, so tests choose the time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.scheduler import ScheduledJob
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_customers.adapters.orm import CustomerRow
from crm_customers.adapters.repository import load_policy
from crm_customers.domain.model import tier_for
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

BATCH = 500


async def apply_pool_rule(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Customers nobody touched for N days go back to the pool; their owners hear first.

    The RUSHCRM rule (003): a rep keeps a customer by working it. Warned once per idle
    spell, `pool_warning_days` before the return; an interaction resets the clock.
    """
    async with sessions() as session:
        tenants = list(
            await session.scalars(
                select(CustomerRow.tenant_id).where(CustomerRow.owner_id.is_not(None)).distinct()
            )
        )
    handled = 0
    for tenant in tenants:
        async with CustomersUnitOfWork(sessions) as uow:
            policy = await load_policy(uow.session, tenant)
            if policy.pool_return_days <= 0:
                continue  # the rule is off for this company
            warn_from = now - timedelta(days=policy.pool_return_days - policy.pool_warning_days)
            return_from = now - timedelta(days=policy.pool_return_days)
            for customer in await uow.customers.idle_owned(tenant, warn_from, BATCH):
                if customer.idle_since() < return_from:
                    customer.return_to_pool(now=now)
                elif customer.pool_warned_at is None:
                    customer.warn_pool_return(return_days=policy.pool_return_days, now=now)
                else:
                    continue
                handled += 1
            await uow.commit()
    return handled


async def rank_value_tiers(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """The value pyramid (002): rank each company's customers by revenue into tiers."""
    rank = (
        func.row_number().over(
            partition_by=CustomerRow.tenant_id,
            order_by=(CustomerRow.revenue.desc(), CustomerRow.id),
        )
        - 1
    )
    count = func.count().over(partition_by=CustomerRow.tenant_id)
    ranked = (
        select(
            CustomerRow.id,
            CustomerRow.tenant_id,
            CustomerRow.tier,
            rank.label("rank"),
            count.label("count"),
        )
        .where(CustomerRow.deleted_at.is_(None))
        .subquery()
    )
    async with sessions() as session:
        rows = (await session.execute(select(ranked))).all()
    moves = [
        (r.tenant_id, r.id, tier)
        for r in rows
        if r.tier != (tier := tier_for(r.rank, r.count)).value
    ]
    for start in range(0, len(moves), BATCH):
        async with CustomersUnitOfWork(sessions) as uow:
            for tenant, customer_id, tier in moves[start : start + BATCH]:
                customer = await uow.customers.get_in_tenant(tenant, customer_id, for_update=True)
                if customer is not None:
                    customer.rank(tier)
            await uow.commit()
    return len(moves)


VALUE_TIERS = ScheduledJob("customers-value-tiers", interval_s=3600, run=rank_value_tiers)
POOL_RULE = ScheduledJob("customers-pool-rule", interval_s=300, run=apply_pool_rule)
