"""Reports read from the pre-aggregated tables, scoped to what the reader may see."""

from __future__ import annotations

from servicekit.auth import Principal, Scope
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_reporting.adapters.orm import CustomerFact, CustomerStageCount
from crm_reporting.entrypoints.api.schemas import CustomerSummary, CustomerSummaryRow


async def customer_summary(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, branch: str | None
) -> CustomerSummary:
    if principal.scope is Scope.OWN:
        # A rep's own customers: counted from the facts (a rep's book is small).
        query = (
            select(
                CustomerFact.branch_id,
                CustomerFact.lifecycle_stage,
                func.count().label("customers"),
            )
            .where(
                CustomerFact.tenant_id == principal.tenant,
                CustomerFact.owner_id == principal.user_id,
            )
            .group_by(CustomerFact.branch_id, CustomerFact.lifecycle_stage)
        )
    else:
        counts = CustomerStageCount
        query = select(counts.branch_id, counts.lifecycle_stage, counts.customers).where(
            principal.visibility(tenant_col=counts.tenant_id, branch_col=counts.branch_id)
        )
    if branch is not None:
        query = query.where(query.selected_columns.branch_id == branch)
    async with sessions() as session:
        rows = (await session.execute(query.order_by(None))).all()
    items = sorted(
        (CustomerSummaryRow(branch_id=b, lifecycle_stage=s, customers=n) for b, s, n in rows),
        key=lambda r: (r.branch_id, r.lifecycle_stage),
    )
    return CustomerSummary(items=items, total=sum(r.customers for r in items))
