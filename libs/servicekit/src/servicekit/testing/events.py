"""A real contract's event for tests of the event machinery (any contract would do)."""

from __future__ import annotations

import uuid

from crm_contracts import CloudEvent, new_event
from crm_contracts.customers import CustomerCreatedV1, LifecycleStage


def customer_created(tenant: str, name: str = "Acme", sequence: int = 1) -> CloudEvent:
    """customer.created of a new customer (its own partition key and subject)."""
    customer_id = uuid.uuid4()
    return new_event(
        CustomerCreatedV1(
            customer_id=customer_id,
            name=name,
            kind="company",
            lifecycle_stage=LifecycleStage.LEAD,
            owner_id=None,
            created_by="tester",
        ),
        tenant=tenant,
        branch="north",
        partition_key=str(customer_id),
        subject=f"customer/{customer_id}",
        sequence=sequence,
    )
