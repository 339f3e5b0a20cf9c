"""Customers events -> customer facts and stage counts (idempotent through the inbox)."""

from __future__ import annotations

from crm_contracts import CloudEvent
from crm_contracts.customers import CustomerCreatedV1
from servicekit.consumer import EventHandlers
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.adapters.orm import CustomerFact, CustomerStageCount


def register(handlers: EventHandlers) -> None:
    @handlers.on(CustomerCreatedV1)
    async def customer_created(session: AsyncSession, event: CloudEvent) -> None:
        data = CustomerCreatedV1.model_validate(event.data)
        branch = event.branchid or "unknown"
        added = await session.scalar(
            insert(CustomerFact)
            .values(
                tenant_id=event.tenantid,
                customer_id=data.customer_id,
                branch_id=branch,
                owner_id=data.owner_id,
                lifecycle_stage=data.lifecycle_stage.value,
                created_at=event.time,
            )
            # The inbox already drops a redelivered event; this also holds if the same
            # customer arrives under a second event id (a republish after broker loss).
            .on_conflict_do_nothing()
            .returning(CustomerFact.customer_id)
        )
        if added is None:
            return
        stmt = insert(CustomerStageCount).values(
            tenant_id=event.tenantid,
            branch_id=branch,
            lifecycle_stage=data.lifecycle_stage.value,
            customers=1,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "branch_id", "lifecycle_stage"],
                set_={"customers": CustomerStageCount.customers + 1},
            )
        )
