"""Customers repository: loads and stores aggregates; never commits (the unit of work does)."""

from __future__ import annotations

from dataclasses import fields
from uuid import UUID

from crm_contracts.customers import LifecycleStage
from servicekit.auth import Principal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.adapters.orm import CustomerRow
from crm_customers.domain.model import Customer, CustomerKind

_COLUMNS = [f.name for f in fields(Customer) if f.name != "events"]


def _to_domain(row: CustomerRow) -> Customer:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["kind"] = CustomerKind(row.kind)
    values["lifecycle_stage"] = LifecycleStage(row.lifecycle_stage)
    return Customer(**values)


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[UUID, CustomerRow] = {}
        self.seen: list[Customer] = []

    async def get(self, customer_id: UUID, *, visible_to: Principal) -> Customer | None:
        """The customer if it exists and `visible_to` may see it (else None: answer 404)."""
        row = await self._session.scalar(
            select(CustomerRow).where(
                CustomerRow.id == customer_id,
                CustomerRow.deleted_at.is_(None),
                visible_to.visibility(
                    tenant_col=CustomerRow.tenant_id,
                    branch_col=CustomerRow.branch_id,
                    owner_col=CustomerRow.owner_id,
                    include_unowned=True,
                ),
            )
        )
        if row is None:
            return None
        self._rows[row.id] = row
        customer = _to_domain(row)
        self.seen.append(customer)
        return customer

    def add(self, customer: Customer) -> None:
        row = CustomerRow(**{name: getattr(customer, name) for name in _COLUMNS})
        self._session.add(row)
        self._rows[customer.id] = row
        self.seen.append(customer)

    def sync(self) -> None:
        """Copy changed aggregates onto their rows before flush."""
        for customer in self.seen:
            row = self._rows[customer.id]
            for name in _COLUMNS:
                value = getattr(customer, name)
                if getattr(row, name) != value:
                    setattr(row, name, value)
