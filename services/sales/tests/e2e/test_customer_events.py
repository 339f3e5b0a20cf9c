"""Sales keeps its own customer facts from customers events, and follows owner changes and
merges it receives on the broker."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

OPPORTUNITY = {
    "name": "Forklift fleet",
    "amount": "1000.00",
    "currency": "EUR",
    "expected_close_date": "2026-06-30",
}


async def open_one(sales, auth, customer_id, user="north-rep"):
    response = await sales.post(
        "/opportunities", json={**OPPORTUNITY, "customer_id": str(customer_id)}, headers=auth(user)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_open_opportunities_follow_the_customers_new_owner(
    sales, auth, customers, sales_events
):
    customer = await customers.created(owner="north-rep")
    still_open = await open_one(sales, auth, customer)
    closed = await open_one(sales, auth, customer)
    won = await sales.post(
        f"/opportunities/{closed['id']}/win", headers={**auth("north-rep"), "If-Match": '"1"'}
    )
    assert won.status_code == 200

    await customers.owner_changed(customer, old="north-rep", new="north-rep2")

    moved = await sales.get(f"/opportunities/{still_open['id']}", headers=auth("north-rep2"))
    assert moved.status_code == 200
    assert moved.json()["owner_id"] == "north-rep2"
    # The win stays credited to the rep who won it; the old owner no longer sees open work.
    kept = await sales.get(f"/opportunities/{closed['id']}", headers=auth("north-mgr"))
    assert kept.json()["owner_id"] == "north-rep"
    gone = await sales.get(f"/opportunities/{still_open['id']}", headers=auth("north-rep"))
    assert gone.status_code == 404
    [event] = await sales_events("crm.sales.opportunity.owner_changed.v1")
    assert event.data["opportunity_id"] == still_open["id"]
    assert (event.data["old_owner_id"], event.data["new_owner_id"]) == ("north-rep", "north-rep2")
    assert event.data["reason"] == "customer_owner_changed"
    # The new owner may now sell to the customer, the old one may not.
    assert (await open_one(sales, auth, customer, user="north-rep2"))["owner_id"] == "north-rep2"
    refused = await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(customer)},
        headers=auth("north-rep"),
    )
    assert refused.status_code == 422


async def test_a_merge_moves_the_duplicates_records_to_the_survivor_with_an_event_each(
    sales, auth, customers, sales_events
):
    survivor = await customers.created(name="Nordwind Logistik GmbH")
    duplicate = await customers.created(name="Nordwind Logistik")
    contact = await customers.contact(duplicate)
    opportunity = await open_one(sales, auth, duplicate)
    task = await sales.post(
        "/tasks",
        json={
            "customer_id": str(duplicate),
            "subject": "Call the buyer",
            "method": "call",
            "start_at": "2026-03-16T09:00:00+00:00",
            "duration_minutes": 15,
            "contact_id": str(contact),
        },
        headers=auth("north-rep"),
    )
    expense = await sales.post(
        "/expenses",
        json={
            "customer_id": str(duplicate),
            "contact_id": str(contact),
            "amount": "42.00",
            "currency": "EUR",
            "category": "meals",
            "incurred_on": datetime.now(UTC).date().isoformat(),
        },
        headers=auth("north-rep"),
    )
    assert task.status_code == expense.status_code == 201, (task.text, expense.text)

    await customers.merged(survivor, duplicate)

    rep = auth("north-rep")
    for url in (
        f"/opportunities/{opportunity['id']}",
        task.headers["location"],
        expense.headers["location"],
    ):
        moved = await sales.get(url, headers=rep)
        assert moved.json()["customer_id"] == str(survivor), url
        assert moved.json()["version"] == 2, url
    moves = await sales_events(expect=3, settle_s=0.3, where_type_endswith="customer_changed.v1")
    assert {e.type for e in moves} == {
        "crm.sales.opportunity.customer_changed.v1",
        "crm.sales.task.customer_changed.v1",
        "crm.sales.expense.customer_changed.v1",
    }
    assert {(e.partitionkey, e.data["old_customer_id"]) for e in moves} == {
        (str(survivor), str(duplicate))
    }
    # The duplicate is gone for sales; its contacts now belong to the survivor.
    refused = await sales.post(
        "/opportunities", json={**OPPORTUNITY, "customer_id": str(duplicate)}, headers=rep
    )
    assert refused.status_code == 422
    assert "merged into" in refused.json()["errors"][0]["message"]
    moved_contact = await sales.post(
        "/tasks",
        json={
            "customer_id": str(survivor),
            "subject": "Follow up",
            "method": "email",
            "start_at": "2026-03-17T09:00:00+00:00",
            "duration_minutes": 10,
            "contact_id": str(contact),
        },
        headers=rep,
    )
    assert moved_contact.status_code == 201, moved_contact.text


async def test_an_owner_change_that_overtakes_the_creation_is_not_undone_by_it(
    sales, auth, customers
):
    customer = uuid4()

    # The owner change (sequence 2) is applied before the creation (sequence 1) arrives.
    await customers.owner_changed(customer, old=None, new="north-rep", sequence=2)
    await customers.created(owner=None, customer_id=customer, name="Late Arrival AG", sequence=1)

    # Only the owner may open an opportunity: the rep still owns it, and the name is known.
    opened = await open_one(sales, auth, customer)
    assert opened["owner_id"] == "north-rep"
    started = await sales.post(
        "/contracts",
        json={
            "customer_id": str(customer),
            "name": "Rental",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
        headers=auth("north-rep"),
    )
    assert started.status_code == 201, started.text
    active = await sales.get(
        "/contracts/active-customers", params={"on": "2026-05-01"}, headers=auth("north-rep")
    )
    assert [(c["customer_id"], c["customer_name"]) for c in active.json()["items"]] == [
        (str(customer), "Late Arrival AG")
    ]


async def test_a_deleted_customer_gets_no_new_sales_records(sales, auth, customers):
    customer = await customers.created()

    await customers.deleted(customer)

    refused = await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(customer)},
        headers=auth("north-rep"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "customer_id", "message": "the customer was deleted"}
    ]


async def test_a_customer_moved_to_another_branch_takes_its_records_out_of_the_old_branch(
    sales, auth, customers
):
    customer = await customers.created(owner="north-rep")
    opportunity = await open_one(sales, auth, customer)
    url = f"/opportunities/{opportunity['id']}"

    await customers.owner_changed(
        customer, old="north-rep", new="south-rep", old_branch="north", new_branch="south"
    )

    assert (await sales.get(url, headers=auth("north-mgr"))).status_code == 404
    assert (await sales.get(url, headers=auth("south-rep"))).status_code == 200
    south_mgr = auth("south-mgr", roles=["branch_manager"], branch="south")
    listed = await sales.get("/opportunities", headers=south_mgr)
    assert [o["id"] for o in listed.json()["items"]] == [opportunity["id"]]
