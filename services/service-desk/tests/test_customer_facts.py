"""Customer facts come only from the customers service's events, in whatever order."""

from __future__ import annotations

import uuid

from crm_contracts.customers import (
    CustomerCreatedV1,
    CustomerDeletedV1,
    CustomerMergedV1,
    CustomerOwnerChangedV1,
    LifecycleStage,
    OwnerChangeReason,
)


def owner_changed(customer_id: str, old: str, new: str, owner: str) -> CustomerOwnerChangedV1:
    return CustomerOwnerChangedV1(
        customer_id=uuid.UUID(customer_id),
        old_owner_id="north-rep",
        new_owner_id=owner,
        old_branch_id=old,
        new_branch_id=new,
        reason=OwnerChangeReason.ASSIGNED,
        changed_by="ceo",
    )


async def test_a_merge_moves_the_duplicates_tickets_and_assets_to_the_survivor(
    desk, auth, portal, customers, open_ticket, published
):
    survivor = await customers.customer(name="Acme Trading")
    duplicate = await customers.customer(name="ACME trading co")
    ticket = await open_ticket(duplicate)
    asset = await desk.post(
        "/assets",
        json={"customer_id": duplicate, "product": "Pump", "serial": "P-1"},
        headers=auth("agent"),
    )

    await customers.publish(
        CustomerMergedV1(
            customer_id=uuid.UUID(survivor), merged_id=uuid.UUID(duplicate), merged_by="north-mgr"
        ),
        customer_id=survivor,
        seq=2,
    )

    moved = (await desk.get(f"/tickets/{ticket['id']}", headers=auth("agent"))).json()
    assert (moved["customer_id"], moved["version"]) == (survivor, 2)
    assert (await desk.get(f"/assets/{asset.json()['id']}", headers=auth("agent"))).json()[
        "customer_id"
    ] == survivor
    followed = (await desk.get("/portal/tickets", headers=portal(survivor))).json()
    assert [t["id"] for t in followed["items"]] == [ticket["id"]]
    refused = await desk.post(
        "/tickets",
        json={"customer_id": duplicate, "subject": "x", "description": "y", "channel": "phone"},
        headers=auth("agent"),
    )
    assert refused.status_code == 422
    assert survivor in refused.json()["detail"]

    [relocated] = await published("ticket.relocated.v1")
    assert relocated.partitionkey == survivor
    assert relocated.data["old_customer_id"] == duplicate
    assert relocated.data["reason"] == "customer_merged"
    [asset_moved] = await published("asset.relocated.v1")
    assert asset_moved.data["customer_id"] == survivor


async def test_a_customer_moved_to_another_branch_takes_its_open_tickets_to_that_queue(
    desk, auth, customers, open_ticket
):
    customer_id = await customers.customer(branch="north")
    open_one = await open_ticket(customer_id)
    done = await open_ticket(customer_id)
    for status, version in (("resolved", 1), ("closed", 2)):
        await desk.post(
            f"/tickets/{done['id']}/status",
            json={"status": status},
            headers={**auth("agent"), "If-Match": f'"{version}"'},
        )

    await customers.publish(
        owner_changed(customer_id, "north", "south", "south-rep"),
        customer_id=customer_id,
        seq=2,
        branch="south",
    )

    south_manager = auth("south-mgr", roles=["branch_manager"], branch="south")
    south = (await desk.get("/tickets", headers=south_manager)).json()
    assert [t["id"] for t in south["items"]] == [open_one["id"]]
    assert (await desk.get(f"/tickets/{open_one['id']}", headers=auth("agent"))).status_code == 404
    north = (await desk.get("/tickets", headers=auth("north-mgr"))).json()
    assert [t["id"] for t in north["items"]] == [done["id"]]  # handled there, stays there
    sales = (await desk.get("/tickets", headers=auth("south-rep"))).json()
    assert {t["id"] for t in sales["items"]} == {open_one["id"], done["id"]}  # the new owner


async def test_an_older_event_arriving_late_does_not_undo_a_newer_fact(
    desk, auth, customers, open_ticket
):
    customer_id = str(uuid.uuid4())
    # The move (version 3) overtakes the creation (version 1), e.g. after a replay.
    await customers.publish(
        owner_changed(customer_id, "north", "south", "south-rep"),
        customer_id=customer_id,
        seq=3,
        branch="south",
    )
    ticket = await open_ticket(customer_id, user="admin")
    assert ticket["branch_id"] == "south"

    await customers.publish(
        CustomerCreatedV1(
            customer_id=uuid.UUID(customer_id),
            name="Late Ltd",
            kind="company",
            lifecycle_stage=LifecycleStage.LEAD,
            owner_id="north-rep",
            created_by="north-rep",
        ),
        customer_id=customer_id,
        seq=1,
        branch="north",
    )
    again = await open_ticket(customer_id, user="admin")
    assert again["branch_id"] == "south"
    assert (await desk.get(f"/tickets/{ticket['id']}", headers=auth("agent"))).status_code == 404


async def test_a_deleted_customer_keeps_its_tickets_but_gets_no_new_ones(
    desk, auth, customers, open_ticket
):
    customer_id = await customers.customer()
    ticket = await open_ticket(customer_id)
    await customers.publish(
        CustomerDeletedV1(customer_id=uuid.UUID(customer_id), deleted_by="north-mgr"),
        customer_id=customer_id,
        seq=2,
    )
    refused = await desk.post(
        "/tickets",
        json={"customer_id": customer_id, "subject": "x", "description": "y", "channel": "phone"},
        headers=auth("agent"),
    )
    assert refused.status_code == 422
    assert (await desk.get(f"/tickets/{ticket['id']}", headers=auth("agent"))).status_code == 200
