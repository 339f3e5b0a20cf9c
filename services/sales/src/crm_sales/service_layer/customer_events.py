"""What sales does when the customers service reports a change: keep its facts, let open
opportunities follow a new owner, and move records of a merged duplicate to the survivor."""

from __future__ import annotations

from uuid import UUID

from crm_contracts.sales import OpportunityOwnerChangeReason

from crm_sales.adapters import facts
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def follow_owner(
    uow: SalesUnitOfWork,
    *,
    tenant_id: str,
    customer_id: UUID,
    sequence: int,
    owner: facts.Owner,
    by: str,
) -> int:
    """One owner per customer (003): its open opportunities go to the new owner. Returns how
    many moved. A customer returning to the pool leaves them with the rep who worked them."""
    async with uow:
        current = await facts.record_customer(
            uow.session, tenant_id, customer_id, sequence=sequence, owner=owner
        )
        moved = 0
        if current and owner.owner_id is not None:
            for opportunity in await uow.opportunities.of_customer(tenant_id, customer_id):
                if opportunity.is_open and opportunity.assign(
                    owner.owner_id,
                    by=by,
                    reason=OpportunityOwnerChangeReason.CUSTOMER_OWNER_CHANGED,
                ):
                    moved += 1
        await uow.commit()
    return moved


async def follow_merge(
    uow: SalesUnitOfWork,
    *,
    tenant_id: str,
    survivor_id: UUID,
    merged_id: UUID,
    sequence: int,
    by: str,
) -> int:
    """Re-point everything sales holds about the duplicate to the survivor, one event per
    moved record. Returns how many moved."""
    async with uow:
        session = uow.session
        await facts.record_customer(session, tenant_id, survivor_id, sequence=sequence)
        # The duplicate's own sequence is unknown here; 0 never overrides its facts.
        await facts.record_customer(
            session, tenant_id, merged_id, sequence=0, merged_into=survivor_id
        )
        await facts.move_contacts(session, tenant_id, merged_id, survivor_id)
        survivor = await facts.customer(session, tenant_id, survivor_id)
        branch = survivor.branch_id if survivor else None
        moved = 0
        for repository in uow.customer_records:
            for record in await repository.of_customer(tenant_id, merged_id):
                moved += record.move_to_customer(survivor_id, branch_id=branch, by=by)
        await uow.commit()
    return moved
