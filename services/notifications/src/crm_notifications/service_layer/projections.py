"""The facts this service keeps from other services' events (never their databases):
customer names and owners (for "the owner" and "the owner's manager"), contacts with their
e-mail and unsubscribe state (campaign mail), and campaigns with their segment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from crm_contracts import CloudEvent
from crm_contracts import customers as c
from crm_contracts import sales as s
from sqlalchemy import case, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.adapters.orm import CampaignRow, ContactRow, CustomerOwnerRow

Projection = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


async def _upsert_customer(
    session: AsyncSession,
    event: CloudEvent,
    customer_id: UUID,
    *,
    name: str | None = None,
    owner: tuple[str | None, str | None] | None = None,
) -> None:
    """Upsert what one customer event says: its `name`, or its `owner` (owner id, branch).

    Each group remembers the `sequence` of the event that set it and only a newer event
    overwrites it, so events redelivered out of order (a broker loss, a replay) leave the
    latest state, whatever the order they arrive in.
    """
    sequence = event.sequence
    statement = insert(CustomerOwnerRow).values(
        tenant_id=event.tenantid,
        customer_id=customer_id,
        name=name,
        name_sequence=sequence if name is not None else 0,
        owner_id=owner[0] if owner else None,
        branch_id=owner[1] if owner else None,
        owner_sequence=sequence if owner else 0,
    )
    new, row = statement.excluded, CustomerOwnerRow.__table__.c

    def newer(column: str, group: str) -> Any:
        return case((new[group] > row[group], new[column]), else_=row[column])

    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "customer_id"],
            set_={
                "name": newer("name", "name_sequence"),
                "owner_id": newer("owner_id", "owner_sequence"),
                "branch_id": newer("branch_id", "owner_sequence"),
                "name_sequence": func.greatest(row.name_sequence, new.name_sequence),
                "owner_sequence": func.greatest(row.owner_sequence, new.owner_sequence),
            },
        )
    )


async def customer_created(session: AsyncSession, event: CloudEvent) -> None:
    created = c.CustomerCreatedV1.model_validate(event.data)
    await _upsert_customer(
        session,
        event,
        created.customer_id,
        name=created.name,
        owner=(created.owner_id, event.branchid),
    )


async def customer_updated(session: AsyncSession, event: CloudEvent) -> None:
    updated = c.CustomerUpdatedV1.model_validate(event.data)
    if "name" in updated.changes and updated.changes["name"].new:
        await _upsert_customer(
            session, event, updated.customer_id, name=str(updated.changes["name"].new)
        )


async def owner_changed(session: AsyncSession, event: CloudEvent) -> None:
    changed = c.CustomerOwnerChangedV1.model_validate(event.data)
    await _upsert_customer(
        session,
        event,
        changed.customer_id,
        owner=(changed.new_owner_id, changed.new_branch_id),
    )


async def contact_changed(session: AsyncSession, event: CloudEvent) -> None:
    contact = c.ContactChangedV1.model_validate(event.data)
    values = {
        "customer_id": contact.customer_id,
        "name": contact.name,
        "email": contact.email.strip().lower() if contact.email else None,
        "unsubscribed": contact.unsubscribed,
        "deleted": contact.deleted,
    }
    statement = insert(ContactRow).values(
        tenant_id=event.tenantid, contact_id=contact.contact_id, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "contact_id"],
            set_={k: statement.excluded[k] for k in values},
        )
    )


async def customer_merged(session: AsyncSession, event: CloudEvent) -> None:
    merged = c.CustomerMergedV1.model_validate(event.data)
    await session.execute(
        update(ContactRow)
        .where(ContactRow.tenant_id == event.tenantid, ContactRow.customer_id == merged.merged_id)
        .values(customer_id=merged.customer_id)
    )


async def campaign_created(session: AsyncSession, event: CloudEvent) -> None:
    campaign = s.CampaignCreatedV1.model_validate(event.data)
    values = {
        "name": campaign.name,
        "segment_id": campaign.segment_id,
        "channel": campaign.channel.value,
    }
    statement = insert(CampaignRow).values(
        tenant_id=event.tenantid, campaign_id=campaign.campaign_id, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "campaign_id"],
            set_={k: statement.excluded[k] for k in values},
        )
    )


async def campaign_updated(session: AsyncSession, event: CloudEvent) -> None:
    updated = s.CampaignUpdatedV1.model_validate(event.data)
    values = {
        field: change.new
        for field, change in updated.changes.items()
        if field in ("name", "segment_id", "channel") and change.new
    }
    if values:
        await session.execute(
            update(CampaignRow)
            .where(
                CampaignRow.tenant_id == event.tenantid,
                CampaignRow.campaign_id == updated.campaign_id,
            )
            .values(**values)
        )


PROJECTIONS: dict[str, Projection] = {
    "crm.customers.customer.created.v1": customer_created,
    "crm.customers.customer.updated.v1": customer_updated,
    "crm.customers.customer.owner_changed.v1": owner_changed,
    "crm.customers.customer.merged.v1": customer_merged,
    "crm.customers.contact.changed.v1": contact_changed,
    "crm.sales.campaign.created.v1": campaign_created,
    "crm.sales.campaign.updated.v1": campaign_updated,
}
