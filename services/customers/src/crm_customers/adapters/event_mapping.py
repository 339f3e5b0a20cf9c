"""Domain changes -> wire contracts, in one place. Partition key: the customer id."""

from __future__ import annotations

import json

from crm_contracts import CloudEvent, new_event
from crm_contracts import customers as c
from pydantic import BaseModel

from crm_customers.domain import events
from crm_customers.domain.contact import Contact
from crm_customers.domain.interaction import Interaction
from crm_customers.domain.model import Customer


def _payload(customer: Customer, event: events.Event) -> BaseModel:
    match event:
        case events.CustomerCreated():
            return c.CustomerCreatedV1(
                customer_id=customer.id,
                name=customer.name,
                kind=customer.kind.value,
                lifecycle_stage=customer.lifecycle_stage,
                owner_id=customer.owner_id,
                category=customer.category,
                industry=customer.industry,
                phone=customer.phone,
                email=customer.email,
                created_by=customer.created_by,
            )
        case events.CustomerUpdated():
            return c.CustomerUpdatedV1(
                customer_id=customer.id,
                changes={
                    k: c.FieldChange(old=_text(o), new=_text(n))
                    for k, (o, n) in event.changes.items()
                },
                updated_by=event.by,
            )
        case events.LifecycleChanged():
            return c.CustomerLifecycleChangedV1(
                customer_id=customer.id,
                old_stage=event.old,
                new_stage=event.new,
                reason=event.reason,
                changed_by=event.by,
            )
        case events.OwnerChanged():
            return c.CustomerOwnerChangedV1(
                customer_id=customer.id,
                old_owner_id=event.old_owner,
                new_owner_id=event.new_owner,
                old_branch_id=event.old_branch,
                new_branch_id=event.new_branch,
                reason=event.reason,
                changed_by=event.by,
            )
        case events.PoolReturnWarned():
            return c.CustomerPoolReturnWarningV1(
                customer_id=customer.id,
                owner_id=event.owner,
                returns_at=event.returns_at,
                idle_days=event.idle_days,
            )
        case events.CustomerDeleted():
            return c.CustomerDeletedV1(customer_id=customer.id, deleted_by=event.by)
        case events.CustomerMerged():
            return c.CustomerMergedV1(
                customer_id=customer.id, merged_id=event.merged_id, merged_by=event.by
            )


def _text(value: object) -> str | None:
    """Changes travel as text: lists and objects as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def customer_event(customer: Customer, event: events.Event) -> CloudEvent:
    return new_event(
        _payload(customer, event),
        tenant=customer.tenant_id,
        branch=customer.branch_id,
        partition_key=str(customer.id),
        subject=f"customer/{customer.id}",
        sequence=event.version,
    )


def interaction_events(interaction: Interaction, branch: str) -> list[CloudEvent]:
    payloads: list[BaseModel] = []
    if interaction.logged:
        payloads.append(
            c.InteractionLoggedV1(
                customer_id=interaction.customer_id,
                interaction_id=interaction.id,
                author_id=interaction.author_id,
                occurred_at=interaction.occurred_at,
                channel=interaction.channel.value,
                outcome=interaction.outcome,
                next_step=interaction.next_step,
                next_step_due=interaction.next_step_due,
            )
        )
    if interaction.just_closed:
        payloads.append(
            c.InteractionClosedV1(
                customer_id=interaction.customer_id,
                interaction_id=interaction.id,
                closed_by=interaction.closed_by or "unknown",
            )
        )
    return [
        new_event(
            payload,
            tenant=interaction.tenant_id,
            branch=branch,
            partition_key=str(interaction.customer_id),
            subject=f"interaction/{interaction.id}",
            sequence=interaction.version,
        )
        for payload in payloads
    ]


def contact_event(contact: Contact, branch: str, by: str) -> CloudEvent:
    return new_event(
        c.ContactChangedV1(
            customer_id=contact.customer_id,
            contact_id=contact.id,
            name=contact.name,
            title=contact.title,
            phone=contact.phone,
            email=contact.email,
            is_primary=contact.is_primary,
            unsubscribed=contact.unsubscribed_at is not None,
            deleted=contact.deleted_at is not None,
            changed_by=by,
        ),
        tenant=contact.tenant_id,
        branch=branch,
        partition_key=str(contact.customer_id),
        subject=f"contact/{contact.id}",
        sequence=contact.version,
    )
