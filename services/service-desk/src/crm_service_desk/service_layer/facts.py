"""Following the customers service: facts about customers, and tickets and assets that move
with their customer (a merge, a move to another branch). Run inside the consumer's
transaction, so the inbox row commits with the effect."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_contracts.service_desk import RelocationReason, TicketStatus

from crm_service_desk.adapters.facts import Fact
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork

# Which kind of fact (and so which version guard) a value belongs to.
FACT_OF: dict[str, Fact] = {"branch_id": "branch", "name": "name", "owner_id": "owner"}


async def learn(
    uow: DeskUnitOfWork,
    tenant: str,
    customer_id: UUID,
    *,
    seq: int,
    at: datetime,
    **values: str | None,
) -> None:
    """Record what one customers event says (`branch_id`, `name`, `owner_id`). Every such
    event names the customer's branch at its version; a branch move relocates its records."""
    async with uow:
        before = await uow.facts.customer(tenant, customer_id)
        facts = {
            FACT_OF[key]: {key: value}
            for key, value in values.items()
            # an event without `branchid` says nothing about the branch
            if not (key == "branch_id" and value is None)
        }
        recorded = await uow.facts.learn(tenant, customer_id, seq, at=at, facts=facts)
        moved = "branch" in recorded
        branch = values.get("branch_id")
        if moved and branch and before is not None and before.branch_id not in (None, branch):
            await _relocate(
                uow,
                tenant,
                customer_id,
                customer_id,
                branch,
                RelocationReason.CUSTOMER_MOVED_BRANCH,
                at,
            )
        await uow.commit()


async def forget(uow: DeskUnitOfWork, tenant: str, customer_id: UUID, *, at: datetime) -> None:
    """A deleted customer keeps its tickets (history) but gets no new ones."""
    async with uow:
        await uow.facts.forget(tenant, customer_id, at=at)
        await uow.commit()


async def merged(
    uow: DeskUnitOfWork,
    tenant: str,
    *,
    survivor: UUID,
    duplicate: UUID,
    survivor_branch: str,
    seq: int,
    at: datetime,
) -> None:
    """The duplicate's tickets, assets and contacts now belong to the survivor."""
    async with uow:
        await uow.facts.learn(
            tenant, survivor, seq, at=at, facts={"branch": {"branch_id": survivor_branch}}
        )
        await uow.facts.forget(tenant, duplicate, at=at, merged_into=survivor)
        await uow.facts.move_contacts(tenant, duplicate, survivor)
        await _relocate(
            uow,
            tenant,
            duplicate,
            survivor,
            survivor_branch,
            RelocationReason.CUSTOMER_MERGED,
            at,
        )
        await uow.commit()


async def _relocate(
    uow: DeskUnitOfWork,
    tenant: str,
    from_customer: UUID,
    to_customer: UUID,
    branch: str,
    reason: RelocationReason,
    at: datetime,
) -> None:
    # Closed tickets stay in the queue of the branch that handled them (its reports).
    for ticket in await uow.tickets.of_customer(tenant, from_customer):
        target = ticket.branch_id if ticket.status is TicketStatus.CLOSED else branch
        ticket.relocate(to_customer, target, reason, now=at)
    for asset in await uow.assets.of_customer(tenant, from_customer):
        asset.relocate(to_customer, branch, reason, now=at)


async def learn_contact(
    uow: DeskUnitOfWork,
    tenant: str,
    contact_id: UUID,
    *,
    seq: int,
    customer_id: UUID,
    name: str,
    email: str | None,
    deleted: bool,
) -> None:
    async with uow:
        await uow.facts.learn_contact(
            tenant,
            contact_id,
            seq,
            customer_id=customer_id,
            name=name,
            email=email,
            deleted=deleted,
        )
        await uow.commit()
