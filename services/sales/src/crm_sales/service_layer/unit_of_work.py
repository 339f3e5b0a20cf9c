"""The sales unit of work: repositories on one transaction; events out via the outbox.

It also runs inside a consumer's transaction (`joining`): then the consumer commits, so the
state change, the outbox rows and the inbox record of the incoming event commit together.
"""

from __future__ import annotations

from typing import Any, Self

from servicekit.uow import UnitOfWork

from crm_sales.adapters import repository as r
from crm_sales.adapters.event_mapping import to_cloud_event


class SalesUnitOfWork(UnitOfWork):
    configuration: r.ConfigurationRepository
    products: r.ProductRepository
    opportunities: r.OpportunityRepository
    quotes: r.QuoteRepository
    orders: r.OrderRepository
    contracts: r.ContractRepository
    tasks: r.TaskRepository
    expenses: r.ExpenseRepository
    campaigns: r.CampaignRepository
    responses: r.ResponseRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        session = self.session
        self.configuration = r.ConfigurationRepository(session)
        self.products = r.ProductRepository(session)
        self.campaigns = r.CampaignRepository(session)
        self.opportunities = r.OpportunityRepository(session)
        self.quotes = r.QuoteRepository(session)
        self.orders = r.OrderRepository(session)
        self.contracts = r.ContractRepository(session)
        self.tasks = r.TaskRepository(session)
        self.expenses = r.ExpenseRepository(session)
        self.responses = r.ResponseRepository(session)
        return self

    @property
    def customer_records(self) -> list[r.CustomerRecordRepository[Any]]:
        """The repositories of records that belong to a customer (a merge moves them)."""
        return [
            self.opportunities,
            self.quotes,
            self.orders,
            self.contracts,
            self.tasks,
            self.expenses,
        ]

    @property
    def _repositories(self) -> list[r.ConfigurationRepository | r.Repository[Any]]:
        return [
            self.configuration,
            self.products,
            self.campaigns,
            self.responses,
            *self.customer_records,
        ]

    async def commit(self) -> None:
        # Collect what the aggregates recorded (cosmicpython collect_new_events).
        for repository in self._repositories:
            for aggregate in repository.seen:
                while aggregate.events:
                    self.emit(to_cloud_event(aggregate, aggregate.events.pop(0)))
            repository.sync()
        await super().commit()
