"""The facts kept from customers events, through the real consumer: events that arrive out
of order (republished after a broker loss, replayed from the DLQ) leave the latest state."""

from __future__ import annotations

import uuid

from crm_contracts import customers as c
from crm_notifications.adapters.orm import CustomerOwnerRow
from servicekit.tables import inbox
from sqlalchemy import func, select


async def test_customer_events_out_of_order_leave_the_latest_name_and_owner(
    app, publish, tenant, eventually
):  # type: ignore[no-untyped-def]
    customer = uuid.uuid4()
    subject = f"customer/{customer}"
    history = {
        1: c.CustomerCreatedV1(
            customer_id=customer,
            name="A",
            kind="company",
            lifecycle_stage=c.LifecycleStage.LEAD,
            owner_id="north-rep",
            created_by="north-rep",
        ),
        2: c.CustomerUpdatedV1(
            customer_id=customer,
            changes={"name": c.FieldChange(old="A", new="B")},
            updated_by="admin",
        ),
        3: c.CustomerOwnerChangedV1(
            customer_id=customer,
            old_owner_id="north-rep",
            new_owner_id="north-rep2",
            old_branch_id="north",
            new_branch_id="north",
            reason=c.OwnerChangeReason.ASSIGNED,
            changed_by="admin",
        ),
        4: c.CustomerUpdatedV1(
            customer_id=customer,
            changes={"name": c.FieldChange(old="B", new="C")},
            updated_by="admin",
        ),
        5: c.CustomerOwnerChangedV1(
            customer_id=customer,
            old_owner_id="north-rep2",
            new_owner_id="south-rep",
            old_branch_id="north",
            new_branch_id="south",
            reason=c.OwnerChangeReason.ASSIGNED,
            changed_by="admin",
        ),
    }
    # 4 and 5 overtake 2 and 3 (written after a broker restart, the older ones republished).
    ids = [
        (await publish(history[seq], subject=subject, sequence=seq, key=str(customer))).id
        for seq in (1, 4, 5, 2, 3)
    ]
    consumer = app.state.runtime.consumer.name

    async def all_applied() -> bool:
        async with app.state.runtime.session_factory() as session:
            applied = await session.scalar(
                select(func.count())
                .select_from(inbox)
                .where(inbox.c.consumer == consumer, inbox.c.event_id.in_(ids))
            )
        return applied == len(ids)

    await eventually(all_applied, what="all five events applied")
    async with app.state.runtime.session_factory() as session:
        row = await session.get(CustomerOwnerRow, (tenant, customer))
    assert row is not None
    assert (row.name, row.owner_id, row.branch_id) == ("C", "south-rep", "south")
    assert (row.name_sequence, row.owner_sequence) == (4, 5)


async def test_a_rename_seen_before_the_creation_keeps_the_name_and_takes_the_owner(
    app, publish, tenant, eventually
):  # type: ignore[no-untyped-def]
    customer = uuid.uuid4()
    subject = f"customer/{customer}"
    renamed = c.CustomerUpdatedV1(
        customer_id=customer,
        changes={"name": c.FieldChange(old="Old", new="New")},
        updated_by="admin",
    )
    created = c.CustomerCreatedV1(
        customer_id=customer,
        name="Old",
        kind="company",
        lifecycle_stage=c.LifecycleStage.LEAD,
        owner_id="north-rep",
        created_by="north-rep",
    )
    await publish(renamed, subject=subject, sequence=2, key=str(customer))
    await publish(created, subject=subject, sequence=1, key=str(customer), branch="north")

    async def owner_known() -> CustomerOwnerRow | None:
        async with app.state.runtime.session_factory() as session:
            row = await session.get(CustomerOwnerRow, (tenant, customer))
        return row if row is not None and row.owner_id else None

    row = await eventually(owner_known, what="the owner from the creation")
    assert (row.name, row.owner_id, row.branch_id) == ("New", "north-rep", "north")
