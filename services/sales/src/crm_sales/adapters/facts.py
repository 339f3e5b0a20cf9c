"""The local copy of customer, contact and segment facts, kept from customers events.

Events may arrive out of order (across partitions, or replayed): each group of facts
remembers the sequence of the event that set it, and an older event never overwrites it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from servicekit.auth import Principal
from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import ContactFact, CustomerFact, SegmentFact
from crm_sales.adapters.scoping import visible_customers


@dataclass(frozen=True)
class Owner:
    owner_id: str | None
    branch_id: str | None


async def customer(
    session: AsyncSession, tenant_id: str, customer_id: UUID, *, visible_to: Principal | None = None
) -> CustomerFact | None:
    query = select(CustomerFact).where(
        CustomerFact.tenant_id == tenant_id, CustomerFact.customer_id == customer_id
    )
    if visible_to is not None:
        query = query.where(visible_customers(visible_to))
    found: CustomerFact | None = await session.scalar(query)
    return found


async def contact(session: AsyncSession, tenant_id: str, contact_id: UUID) -> ContactFact | None:
    return await session.get(ContactFact, (tenant_id, contact_id))


async def segment(session: AsyncSession, tenant_id: str, segment_id: UUID) -> SegmentFact | None:
    return await session.get(SegmentFact, (tenant_id, segment_id))


async def record_customer(
    session: AsyncSession,
    tenant_id: str,
    customer_id: UUID,
    *,
    sequence: int,
    name: str | None = None,
    owner: Owner | None = None,
    merged_into: UUID | None = None,
    deleted_at: datetime | None = None,
) -> bool:
    """Upsert what one event says; True when its owner facts are now the current ones."""
    stmt = insert(CustomerFact).values(
        tenant_id=tenant_id,
        customer_id=customer_id,
        name=name,
        name_sequence=sequence if name is not None else 0,
        owner_id=owner.owner_id if owner else None,
        branch_id=owner.branch_id if owner else None,
        owner_sequence=sequence if owner else 0,
        sequence=sequence,
        merged_into=merged_into,
        deleted_at=deleted_at,
    )
    new = stmt.excluded

    def newer(column: str, group: str) -> Any:
        return case(
            (new[group] > CustomerFact.__table__.c[group], new[column]),
            else_=CustomerFact.__table__.c[column],
        )

    upsert = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "customer_id"],
        set_={
            "name": newer("name", "name_sequence"),
            "owner_id": newer("owner_id", "owner_sequence"),
            "branch_id": newer("branch_id", "owner_sequence"),
            "name_sequence": func.greatest(CustomerFact.name_sequence, new.name_sequence),
            "owner_sequence": func.greatest(CustomerFact.owner_sequence, new.owner_sequence),
            "sequence": func.greatest(CustomerFact.sequence, new.sequence),
            "merged_into": func.coalesce(new.merged_into, CustomerFact.merged_into),
            "deleted_at": func.coalesce(CustomerFact.deleted_at, new.deleted_at),
        },
    ).returning(CustomerFact.owner_sequence)
    current = await session.scalar(upsert)
    return owner is not None and current == sequence


async def record_contact(
    session: AsyncSession,
    tenant_id: str,
    contact_id: UUID,
    *,
    customer_id: UUID,
    name: str,
    deleted: bool,
    sequence: int,
) -> None:
    """Contact events carry the whole contact: the newest one wins."""
    values = {"customer_id": customer_id, "name": name, "deleted": deleted, "sequence": sequence}
    stmt = insert(ContactFact).values(tenant_id=tenant_id, contact_id=contact_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "contact_id"],
            set_=values,
            where=ContactFact.sequence < stmt.excluded.sequence,
        )
    )


async def record_segment(
    session: AsyncSession,
    tenant_id: str,
    segment_id: UUID,
    *,
    name: str,
    deleted: bool,
    sequence: int,
) -> None:
    values = {"name": name, "deleted": deleted, "sequence": sequence}
    stmt = insert(SegmentFact).values(tenant_id=tenant_id, segment_id=segment_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "segment_id"],
            set_=values,
            where=SegmentFact.sequence < stmt.excluded.sequence,
        )
    )


async def move_contacts(
    session: AsyncSession, tenant_id: str, from_customer: UUID, to_customer: UUID
) -> None:
    """A merge moves the duplicate's contacts to the survivor (customers does it silently)."""
    await session.execute(
        update(ContactFact)
        .where(ContactFact.tenant_id == tenant_id, ContactFact.customer_id == from_customer)
        .values(customer_id=to_customer)
    )
