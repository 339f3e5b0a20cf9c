"""Events published by the customers service on `crm.customers.events`."""

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from crm_contracts.base import Payload
from crm_contracts.registry import EventSpec, register
from crm_contracts.topics import CUSTOMERS_EVENTS


class LifecycleStage(StrEnum):
    """Where a customer stands in the relationship; reports group by it."""

    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    CHURNED = "churned"
    LOST = "lost"


class CustomerCreatedV1(Payload):
    """A customer account (company or person) was created."""

    customer_id: UUID = Field(description="Id of the new customer; also the partition key.")
    name: str = Field(min_length=1, description="Display name: company name or full name.")
    kind: Literal["company", "person"] = Field(description="A company or a private person.")
    lifecycle_stage: LifecycleStage = Field(description="Stage at creation.")
    owner_id: str | None = Field(
        description="User id of the owning rep; null when the customer starts in the pool."
    )
    category: str | None = Field(default=None, description="Tenant-defined category.")
    industry: str | None = Field(default=None, description="Industry, free text.")
    phone: str | None = Field(default=None, description="Main phone number.")
    email: str | None = Field(default=None, description="Main e-mail address.")
    created_by: str = Field(description="User id of whoever created the customer.")


class FieldChange(Payload):
    """Old and new value of one field, so a consumer can update without a lookup."""

    old: str | None = Field(description="Value before the change.")
    new: str | None = Field(description="Value after the change.")


class CustomerUpdatedV1(Payload):
    """Basic information of a customer changed; only changed fields are listed."""

    customer_id: UUID = Field(description="Id of the customer; also the partition key.")
    changes: dict[str, FieldChange] = Field(
        description="Changed fields by name (e.g. `name`, `phone`), each with old and new value."
    )
    updated_by: str = Field(description="User id of whoever made the change.")


CUSTOMER_CREATED_V1 = register(
    EventSpec(
        type="crm.customers.customer.created.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerCreatedV1,
        summary="A customer account was created.",
        example={
            "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
            "name": "Nordwind Logistik GmbH",
            "kind": "company",
            "lifecycle_stage": "prospect",
            "owner_id": "u-rep-anna",
            "category": "key-account",
            "industry": "Logistics",
            "phone": "+49 40 1234 5670",
            "email": "einkauf@nordwind-logistik.example",
            "created_by": "u-rep-anna",
        },
    )
)

CUSTOMER_UPDATED_V1 = register(
    EventSpec(
        type="crm.customers.customer.updated.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerUpdatedV1,
        summary="Basic information of a customer account changed.",
        example={
            "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
            "changes": {
                "phone": {"old": "+49 40 1234 5670", "new": "+49 40 1234 5699"},
                "industry": {"old": None, "new": "Logistics"},
            },
            "updated_by": "u-rep-anna",
        },
    )
)
