"""Events the service desk follows: the customer facts it needs, from the customers service."""

from __future__ import annotations

from uuid import UUID

from crm_contracts import CloudEvent
from crm_contracts.customers import (
    ContactChangedV1,
    CustomerCreatedV1,
    CustomerDeletedV1,
    CustomerLifecycleChangedV1,
    CustomerMergedV1,
    CustomerOwnerChangedV1,
    CustomerPoolReturnWarningV1,
    CustomerUpdatedV1,
)
from servicekit.consumer import EventHandlers
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.service_layer import facts
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork

handlers = EventHandlers()


def _uow(session: AsyncSession) -> DeskUnitOfWork:
    return DeskUnitOfWork.joining(session)


@handlers.on(CustomerCreatedV1)
async def customer_created(session: AsyncSession, event: CloudEvent) -> None:
    created = CustomerCreatedV1.model_validate(event.data)
    await facts.learn(
        _uow(session),
        event.tenantid,
        created.customer_id,
        seq=event.sequence,
        at=event.time,
        branch_id=event.branchid,
        name=created.name,
        owner_id=created.owner_id,
    )


@handlers.on(CustomerUpdatedV1)
async def customer_updated(session: AsyncSession, event: CloudEvent) -> None:
    updated = CustomerUpdatedV1.model_validate(event.data)
    named = {"name": updated.changes["name"].new} if "name" in updated.changes else {}
    await facts.learn(
        _uow(session),
        event.tenantid,
        updated.customer_id,
        seq=event.sequence,
        at=event.time,
        branch_id=event.branchid,
        **named,
    )


@handlers.on(CustomerLifecycleChangedV1)
@handlers.on(CustomerPoolReturnWarningV1)
async def branch_only(session: AsyncSession, event: CloudEvent) -> None:
    # Only the branch (in the envelope) matters here; any event may be the first to arrive,
    # and following every customer/<id> event keeps the inbox's sequence check gap-free.
    await facts.learn(
        _uow(session),
        event.tenantid,
        UUID(str(event.data["customer_id"])),
        seq=event.sequence,
        at=event.time,
        branch_id=event.branchid,
    )


@handlers.on(CustomerOwnerChangedV1)
async def owner_changed(session: AsyncSession, event: CloudEvent) -> None:
    moved = CustomerOwnerChangedV1.model_validate(event.data)
    await facts.learn(
        _uow(session),
        event.tenantid,
        moved.customer_id,
        seq=event.sequence,
        at=event.time,
        branch_id=moved.new_branch_id,
        owner_id=moved.new_owner_id,
    )


@handlers.on(CustomerDeletedV1)
async def customer_deleted(session: AsyncSession, event: CloudEvent) -> None:
    deleted = CustomerDeletedV1.model_validate(event.data)
    await facts.forget(_uow(session), event.tenantid, deleted.customer_id, at=event.time)


@handlers.on(CustomerMergedV1)
async def customer_merged(session: AsyncSession, event: CloudEvent) -> None:
    merge = CustomerMergedV1.model_validate(event.data)
    if event.branchid is None:
        raise ValueError("a merge event must name the survivor's branch (branchid)")
    await facts.merged(
        _uow(session),
        event.tenantid,
        survivor=merge.customer_id,
        duplicate=merge.merged_id,
        survivor_branch=event.branchid,
        seq=event.sequence,
        at=event.time,
    )


@handlers.on(ContactChangedV1)
async def contact_changed(session: AsyncSession, event: CloudEvent) -> None:
    contact = ContactChangedV1.model_validate(event.data)
    await facts.learn_contact(
        _uow(session),
        event.tenantid,
        contact.contact_id,
        seq=event.sequence,
        customer_id=contact.customer_id,
        name=contact.name,
        email=contact.email,
        deleted=contact.deleted,
    )
