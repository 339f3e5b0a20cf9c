"""Read side: queries that return response schemas directly."""

from __future__ import annotations

from uuid import UUID

from servicekit.auth import Principal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_customers.adapters.orm import CustomerRow
from crm_customers.entrypoints.api.schemas import CustomerRead


async def customer(
    sessions: async_sessionmaker[AsyncSession], customer_id: UUID, principal: Principal
) -> CustomerRead | None:
    async with sessions() as session:
        row = await session.scalar(
            select(CustomerRow).where(
                CustomerRow.id == customer_id,
                CustomerRow.deleted_at.is_(None),
                principal.visibility(
                    tenant_col=CustomerRow.tenant_id,
                    branch_col=CustomerRow.branch_id,
                    owner_col=CustomerRow.owner_id,
                    include_unowned=True,
                ),
            )
        )
    return CustomerRead.model_validate(row) if row is not None else None
