"""Events published by the customers service on `crm.customers.events`."""

from datetime import date, datetime
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


class CustomerPoolReturnWarningV1(Payload):
    """A customer will go back to the pool soon unless its owner interacts with it."""

    customer_id: UUID = Field(description="The customer at risk.")
    owner_id: str = Field(description="The owner who should act.")
    returns_at: datetime = Field(description="When it returns to the pool without contact.")
    idle_days: int = Field(ge=0, description="Days since the last interaction or assignment.")


class ContactChangedV1(Payload):
    """A contact person of a customer was created or changed (full current state)."""

    customer_id: UUID = Field(description="The customer the contact belongs to.")
    contact_id: UUID = Field(description="The contact.")
    name: str = Field(description="Full name.")
    title: str | None = Field(default=None, description="Job title.")
    phone: str | None = Field(default=None, description="Phone.")
    email: str | None = Field(default=None, description="E-mail.")
    is_primary: bool = Field(default=False, description="The customer's main contact.")
    unsubscribed: bool = Field(default=False, description="Opted out of marketing mail.")
    deleted: bool = Field(default=False, description="True when the contact was deleted.")
    changed_by: str = Field(description="User id.")


class InteractionLoggedV1(Payload):
    """A rep logged an interaction with a customer (003: every contact is recorded)."""

    customer_id: UUID = Field(description="The customer.")
    interaction_id: UUID = Field(description="The interaction.")
    author_id: str = Field(description="Who had the interaction.")
    occurred_at: datetime = Field(description="When it took place.")
    channel: str = Field(description="visit, call, email, meeting, message or other.")
    outcome: str = Field(description="What came of it.")
    next_step: str = Field(description="What happens next.")
    next_step_due: date = Field(description="When the next step is due.")


class InteractionClosedV1(Payload):
    """An interaction was closed; from now on it cannot be changed or deleted."""

    customer_id: UUID = Field(description="The customer.")
    interaction_id: UUID = Field(description="The interaction.")
    closed_by: str = Field(description="Who closed it.")


class SegmentChangedV1(Payload):
    """A marketing segment was created, changed or deleted (members resolve on demand)."""

    segment_id: UUID = Field(description="The segment (also the partition key).")
    name: str = Field(description="Segment name.")
    kind: Literal["static", "filter"] = Field(description="A fixed list or a saved filter.")
    deleted: bool = Field(default=False, description="True when the segment was deleted.")
    changed_by: str = Field(description="User id.")


_CUSTOMER = "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"
for _spec in (
    EventSpec(
        type="crm.customers.customer.pool_return_warning.v1",
        topic=CUSTOMERS_EVENTS,
        payload=CustomerPoolReturnWarningV1,
        summary="A customer returns to the pool soon unless its owner gets in touch.",
        example={
            "customer_id": _CUSTOMER,
            "owner_id": "north-rep",
            "returns_at": "2026-12-01T09:00:00Z",
            "idle_days": 27,
        },
    ),
    EventSpec(
        type="crm.customers.contact.changed.v1",
        topic=CUSTOMERS_EVENTS,
        payload=ContactChangedV1,
        summary="A contact of a customer was created, changed or deleted.",
        example={
            "customer_id": _CUSTOMER,
            "contact_id": "5b1e0c52-1f4e-4d3a-8f0e-2f4d1c9e7a10",
            "name": "Li Wei",
            "title": "Purchasing manager",
            "phone": "+86 571 8888 6601",
            "email": "li.wei@xinyuan.example.cn",
            "is_primary": True,
            "unsubscribed": False,
            "deleted": False,
            "changed_by": "north-rep",
        },
    ),
    EventSpec(
        type="crm.customers.interaction.logged.v1",
        topic=CUSTOMERS_EVENTS,
        payload=InteractionLoggedV1,
        summary="An interaction with a customer was logged.",
        example={
            "customer_id": _CUSTOMER,
            "interaction_id": "9e3c2a1b-7d6f-4e5a-8b9c-0d1e2f3a4b5c",
            "author_id": "north-rep",
            "occurred_at": "2026-11-20T10:30:00Z",
            "channel": "visit",
            "outcome": "interested in the annual plan",
            "next_step": "send a quote",
            "next_step_due": "2026-11-25",
        },
    ),
    EventSpec(
        type="crm.customers.interaction.closed.v1",
        topic=CUSTOMERS_EVENTS,
        payload=InteractionClosedV1,
        summary="An interaction was closed and became immutable.",
        example={
            "customer_id": _CUSTOMER,
            "interaction_id": "9e3c2a1b-7d6f-4e5a-8b9c-0d1e2f3a4b5c",
            "closed_by": "north-rep",
        },
    ),
    EventSpec(
        type="crm.customers.segment.changed.v1",
        topic=CUSTOMERS_EVENTS,
        payload=SegmentChangedV1,
        summary="A marketing segment was created, changed or deleted.",
        example={
            "segment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "name": "Wholesale in Zhejiang",
            "kind": "filter",
            "deleted": False,
            "changed_by": "marketer",
        },
    ),
):
    register(_spec)
