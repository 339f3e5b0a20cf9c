"""Customer and contact facts learned from the customers service's events.

Upserts, because events about one customer may arrive out of order (a merge is keyed by the
survivor, the duplicate's own events by the duplicate): a fact is only overwritten by one
from a later version of the customer, and deletion is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.adapters.orm import ContactFactRow, CustomerFactRow

Fact = Literal["name", "branch", "owner"]


@dataclass(frozen=True)
class CustomerFact:
    customer_id: UUID
    name: str | None
    branch_id: str | None
    branch_seq: int
    owner_id: str | None
    deleted: bool
    merged_into: UUID | None

    @property
    def usable(self) -> bool:
        """Known well enough to open tickets and register assets for."""
        return self.branch_id is not None and not self.deleted


class FactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def customer(
        self, tenant_id: str, customer_id: UUID, *, lock: bool = False
    ) -> CustomerFact | None:
        query = select(CustomerFactRow).where(
            CustomerFactRow.tenant_id == tenant_id, CustomerFactRow.customer_id == customer_id
        )
        if lock:
            # Shared: opening tickets waits for a merge or move of this customer, not for
            # other openings.
            query = query.with_for_update(read=True)
        row = await self._session.scalar(query)
        if row is None:
            return None
        return CustomerFact(
            customer_id=row.customer_id,
            name=row.name,
            branch_id=row.branch_id,
            branch_seq=row.branch_seq,
            owner_id=row.owner_id,
            deleted=row.deleted,
            merged_into=row.merged_into,
        )

    async def learn(
        self,
        tenant_id: str,
        customer_id: UUID,
        seq: int,
        *,
        at: datetime,
        facts: dict[Fact, dict[str, Any]],
    ) -> set[Fact]:
        """Record each kind of fact in `facts` (its column values) unless a later version
        already set it, in one statement; the kinds recorded."""
        if not facts:
            return set()
        table = CustomerFactRow.__table__
        values: dict[str, Any] = {"updated_at": at}
        for fact, columns in facts.items():
            values.update(columns)
            values[f"{fact}_seq"] = seq
        statement = insert(CustomerFactRow).values(
            tenant_id=tenant_id, customer_id=customer_id, **values
        )
        new = statement.excluded
        changed: dict[str, Any] = {"updated_at": new.updated_at}
        for fact, columns in facts.items():
            newer = new[f"{fact}_seq"] > table.c[f"{fact}_seq"]
            for name in (*columns, f"{fact}_seq"):
                changed[name] = case((newer, new[name]), else_=table.c[name])
        row = (
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "customer_id"], set_=changed
                ).returning(*(table.c[f"{fact}_seq"] for fact in facts))
            )
        ).one()
        return {fact for fact, current in zip(facts, row, strict=True) if current == seq}

    async def forget(
        self, tenant_id: str, customer_id: UUID, *, at: datetime, merged_into: UUID | None = None
    ) -> None:
        """Deleted, or merged into another customer: no new tickets or assets for it."""
        statement = insert(CustomerFactRow).values(
            tenant_id=tenant_id,
            customer_id=customer_id,
            deleted=True,
            merged_into=merged_into,
            updated_at=at,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "customer_id"],
                set_={
                    "deleted": True,
                    "merged_into": merged_into or CustomerFactRow.merged_into,
                    "updated_at": at,
                },
            )
        )

    async def learn_contact(
        self, tenant_id: str, contact_id: UUID, seq: int, **values: Any
    ) -> None:
        statement = insert(ContactFactRow).values(
            tenant_id=tenant_id, contact_id=contact_id, seq=seq, **values
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "contact_id"],
                set_={name: statement.excluded[name] for name in [*values, "seq"]},
                where=ContactFactRow.seq < seq,
            )
        )

    async def contact_of(self, tenant_id: str, customer_id: UUID, contact_id: UUID) -> bool:
        """Is `contact_id` a current contact of the customer?"""
        found = await self._session.scalar(
            select(ContactFactRow.contact_id).where(
                ContactFactRow.tenant_id == tenant_id,
                ContactFactRow.contact_id == contact_id,
                ContactFactRow.customer_id == customer_id,
                ~ContactFactRow.deleted,
            )
        )
        return found is not None

    async def move_contacts(self, tenant_id: str, from_id: UUID, to_id: UUID) -> None:
        await self._session.execute(
            update(ContactFactRow)
            .where(ContactFactRow.tenant_id == tenant_id, ContactFactRow.customer_id == from_id)
            .values(customer_id=to_id)
        )
