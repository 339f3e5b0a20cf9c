"""Domain events -> wire contracts, in one place."""

from __future__ import annotations

from crm_contracts import CloudEvent, new_event
from crm_contracts.customers import CustomerCreatedV1, CustomerUpdatedV1, FieldChange
from pydantic import BaseModel

from crm_customers.domain import events
from crm_customers.domain.model import Customer


def _payload(customer: Customer, event: events.Event) -> BaseModel:
    match event:
        case events.CustomerCreated():
            return CustomerCreatedV1(
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
            return CustomerUpdatedV1(
                customer_id=customer.id,
                changes={k: FieldChange(old=o, new=n) for k, (o, n) in event.changes.items()},
                updated_by=event.by,
            )


def to_cloud_event(customer: Customer, event: events.Event) -> CloudEvent:
    return new_event(
        _payload(customer, event),
        tenant=customer.tenant_id,
        branch=customer.branch_id,
        partition_key=str(customer.id),
        subject=f"customer/{customer.id}",
        sequence=event.version,
    )
