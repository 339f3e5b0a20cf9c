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


class OwnerChangeReason(StrEnum):
    """Why a customer changed hands; the pool rules and reports tell them apart."""

    CLAIMED = "claimed"  # a rep took it from the pool
    ASSIGNED = "assigned"  # a manager gave it to a rep (or moved it)
    RELEASED = "released"  # the owner put it back into the pool
    RETURNED_TO_POOL = "returned_to_pool"  # no interaction for N days
    MERGED = "merged"  # its record was merged into another customer


class CustomerOwnerChangedV1(Payload):
    """A customer got a new owner (or none: it is in the pool), possibly in another branch."""

    customer_id: UUID = Field(description="The customer that changed hands.")
    old_owner_id: str | None = Field(description="Previous owner; null if it was in the pool.")
    new_owner_id: str | None = Field(description="New owner; null when it goes to the pool.")
    old_branch_id: str = Field(description="Branch before the change.")
    new_branch_id: str = Field(description="Branch after the change (same unless moved).")
    reason: OwnerChangeReason = Field(description="Why it changed hands.")
    changed_by: str = Field(description="User id of who did it; `system` for scheduled jobs.")


class CustomerLifecycleChangedV1(Payload):
    """A customer moved along lead → prospect → customer, churned (with reason) or was lost."""

    customer_id: UUID = Field(description="The customer.")
    old_stage: LifecycleStage = Field(description="Stage before.")
    new_stage: LifecycleStage = Field(description="Stage after.")
    reason: str | None = Field(
        default=None, description="Required for churned and lost: why the customer left."
    )
    changed_by: str = Field(description="User id, or `system` when an event caused it.")


class CustomerDeletedV1(Payload):
    """A customer was deleted (soft: its history stays, it no longer appears in lists)."""

    customer_id: UUID = Field(description="The deleted customer.")
    deleted_by: str = Field(description="User id of who deleted it.")


class CustomerMergedV1(Payload):
    """A duplicate customer was merged into a surviving one; re-point references to it."""

    customer_id: UUID = Field(description="The surviving customer (partition key).")
    merged_id: UUID = Field(description="The duplicate that no longer exists on its own.")
    merged_by: str = Field(description="User id of who merged them.")


CUSTOMER_OWNER_CHANGED_V1 = register(
    EventSpec(
        type="crm.customers.customer.owner_changed.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerOwnerChangedV1,
        summary="A customer changed owner: claimed, assigned, released or returned to the pool.",
        example={
            "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
            "old_owner_id": None,
            "new_owner_id": "north-rep",
            "old_branch_id": "north",
            "new_branch_id": "north",
            "reason": "claimed",
            "changed_by": "north-rep",
        },
    )
)

CUSTOMER_LIFECYCLE_CHANGED_V1 = register(
    EventSpec(
        type="crm.customers.customer.lifecycle_changed.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerLifecycleChangedV1,
        summary="A customer moved to another lifecycle stage.",
        example={
            "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
            "old_stage": "customer",
            "new_stage": "churned",
            "reason": "moved to a competitor offering lower prices",
            "changed_by": "north-mgr",
        },
    )
)

CUSTOMER_DELETED_V1 = register(
    EventSpec(
        type="crm.customers.customer.deleted.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerDeletedV1,
        summary="A customer was deleted (soft delete).",
        example={"customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41", "deleted_by": "admin"},
    )
)

CUSTOMER_MERGED_V1 = register(
    EventSpec(
        type="crm.customers.customer.merged.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerMergedV1,
        summary="A duplicate customer was merged into another; references move to the survivor.",
        example={
            "customer_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
            "merged_id": "8d2b1f7a-0c44-4e0e-9a11-5b6f3c2d1e90",
            "merged_by": "north-mgr",
        },
    )
)
