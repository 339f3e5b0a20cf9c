"""The customers unit of work: repositories on one transaction; events out via the outbox."""

from __future__ import annotations

from typing import Self

from servicekit.uow import UnitOfWork

from crm_customers.adapters.event_mapping import to_cloud_event
from crm_customers.adapters.repository import CustomerRepository


class CustomersUnitOfWork(UnitOfWork):
    customers: CustomerRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.customers = CustomerRepository(self.session)
        return self

    async def commit(self) -> None:
        # Collect what the aggregates recorded (cosmicpython collect_new_events).
        for customer in self.customers.seen:
            while customer.events:
                self.emit(to_cloud_event(customer, customer.events.pop(0)))
        self.customers.sync()
        await super().commit()
