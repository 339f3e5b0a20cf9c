"""The customers unit of work: repositories on one transaction; events out via the outbox."""

from __future__ import annotations

from typing import Self

from servicekit.uow import UnitOfWork

from crm_customers.adapters.event_mapping import contact_event, customer_event, interaction_events
from crm_customers.adapters.orm import OwnershipRow
from crm_customers.adapters.repository import (
    ContactRepository,
    CustomerRepository,
    InteractionRepository,
)
from crm_customers.domain import events


class CustomersUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    interactions: InteractionRepository
    contacts: ContactRepository
    actor: str = "system"

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.customers = CustomerRepository(self.session)
        self.interactions = InteractionRepository(self.session)
        self.contacts = ContactRepository(self.session)
        return self

    async def commit(self) -> None:
        self._collect_events()
        self.customers.sync()
        self.interactions.sync()
        self.contacts.sync()
        await super().commit()

    def _collect_events(self) -> None:
        """What the aggregates recorded becomes outbox rows (cosmicpython collect_new_events)."""
        branch_of = {c.id: c.branch_id for c in self.customers.seen}
        for customer in self.customers.seen:
            while customer.events:
                event = customer.events.pop(0)
                if isinstance(event, events.OwnerChanged):
                    self.session.add(
                        OwnershipRow(
                            tenant_id=customer.tenant_id,
                            customer_id=customer.id,
                            old_owner_id=event.old_owner,
                            new_owner_id=event.new_owner,
                            old_branch_id=event.old_branch,
                            new_branch_id=event.new_branch,
                            reason=event.reason.value,
                            changed_by=event.by,
                            changed_at=customer.updated_at,
                        )
                    )
                self.emit(customer_event(customer, event))
        for interaction in self.interactions.seen:
            for cloud_event in interaction_events(
                interaction, branch_of.get(interaction.customer_id, "unknown")
            ):
                self.emit(cloud_event)
            interaction.logged = interaction.just_closed = False
        for contact in self.contacts.seen:
            if contact.changed:
                self.emit(
                    contact_event(
                        contact, branch_of.get(contact.customer_id, "unknown"), self.actor
                    )
                )
                contact.changed = False
