"""Customers events -> customer, contact and segment facts, through the idempotent consumer.

Sales never asks the customers service over HTTP: everything it knows about customers
arrives here. Each handler runs in the consumer's transaction, with the inbox record.
"""

from __future__ import annotations

from crm_contracts import CloudEvent
from crm_contracts.customers import (
    ContactChangedV1,
    CustomerCreatedV1,
    CustomerDeletedV1,
    CustomerMergedV1,
    CustomerOwnerChangedV1,
    CustomerUpdatedV1,
    SegmentChangedV1,
)
from servicekit.consumer import EventHandlers
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters import facts
from crm_sales.service_layer import customer_events
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork

handlers = EventHandlers()


@handlers.on(CustomerCreatedV1)
async def customer_created(session: AsyncSession, event: CloudEvent) -> None:
    data = CustomerCreatedV1.model_validate(event.data)
    await facts.record_customer(
        session,
        event.tenantid,
        data.customer_id,
        sequence=event.sequence,
        name=data.name,
        owner=facts.Owner(data.owner_id, event.branchid),
    )


@handlers.on(CustomerUpdatedV1)
async def customer_updated(session: AsyncSession, event: CloudEvent) -> None:
    data = CustomerUpdatedV1.model_validate(event.data)
    name = data.changes.get("name")
    await facts.record_customer(
        session,
        event.tenantid,
        data.customer_id,
        sequence=event.sequence,
        name=name.new if name is not None else None,
    )


@handlers.on(CustomerOwnerChangedV1)
async def owner_changed(session: AsyncSession, event: CloudEvent) -> None:
    data = CustomerOwnerChangedV1.model_validate(event.data)
    await customer_events.follow_owner(
        SalesUnitOfWork.joining(session),
        tenant_id=event.tenantid,
        customer_id=data.customer_id,
        sequence=event.sequence,
        owner=facts.Owner(data.new_owner_id, data.new_branch_id),
        by=data.changed_by,
    )


@handlers.on(CustomerMergedV1)
async def customer_merged(session: AsyncSession, event: CloudEvent) -> None:
    data = CustomerMergedV1.model_validate(event.data)
    await customer_events.follow_merge(
        SalesUnitOfWork.joining(session),
        tenant_id=event.tenantid,
        survivor_id=data.customer_id,
        merged_id=data.merged_id,
        sequence=event.sequence,
        by=data.merged_by,
    )


@handlers.on(CustomerDeletedV1)
async def customer_deleted(session: AsyncSession, event: CloudEvent) -> None:
    data = CustomerDeletedV1.model_validate(event.data)
    await facts.record_customer(
        session, event.tenantid, data.customer_id, sequence=event.sequence, deleted_at=event.time
    )


@handlers.on(ContactChangedV1)
async def contact_changed(session: AsyncSession, event: CloudEvent) -> None:
    data = ContactChangedV1.model_validate(event.data)
    await facts.record_contact(
        session,
        event.tenantid,
        data.contact_id,
        customer_id=data.customer_id,
        name=data.name,
        deleted=data.deleted,
        sequence=event.sequence,
    )


@handlers.on(SegmentChangedV1)
async def segment_changed(session: AsyncSession, event: CloudEvent) -> None:
    data = SegmentChangedV1.model_validate(event.data)
    await facts.record_segment(
        session,
        event.tenantid,
        data.segment_id,
        name=data.name,
        deleted=data.deleted,
        sequence=event.sequence,
    )
