"""Opportunities over HTTP: who may open them, the pipeline moves and the events they publish."""

from __future__ import annotations

import uuid

OPPORTUNITY = {
    "name": "Forklift fleet 2026",
    "amount": "250000.00",
    "currency": "EUR",
    "expected_close_date": "2026-06-30",
}
OPENED = "crm.sales.opportunity.created.v1"


async def open_one(sales, auth, customer_id, user="north-rep", **extra):
    response = await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(customer_id), **extra},
        headers=auth(user),
    )
    assert response.status_code == 201, response.text
    return response


async def test_the_customers_owner_opens_an_opportunity_and_it_is_published(
    sales, auth, customers, sales_events
):
    customer = await customers.created(owner="north-rep")

    response = await open_one(sales, auth, customer)

    body = response.json()
    assert response.headers["location"] == f"/opportunities/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert (body["stage"], body["probability"], body["owner_id"]) == (
        "qualification",
        10,
        "north-rep",
    )
    [event] = await sales_events(OPENED)
    assert event.partitionkey == str(customer)
    assert event.subject == f"opportunity/{body['id']}"
    assert (event.sequence, event.branchid, event.source) == (1, "north", "/crm/sales")
    assert event.data["amount"] == "250000.00"
    assert event.data["currency"] == "EUR"


async def test_a_rep_cannot_open_an_opportunity_for_a_customer_they_do_not_own(
    sales, auth, customers
):
    pooled = await customers.created(owner=None)
    rivals = await customers.created(owner="north-rep2")

    for_pool = await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(pooled)},
        headers=auth("north-rep"),
    )
    for_rival = await sales.post(
        "/opportunities",
        json={**OPPORTUNITY, "customer_id": str(rivals)},
        headers=auth("north-rep"),
    )

    assert for_pool.status_code == 403
    # Another rep's customer is not even visible: it is an unknown customer.
    assert for_rival.status_code == 422
    assert for_rival.json()["errors"] == [{"field": "customer_id", "message": "unknown customer"}]


async def test_a_manager_opens_one_for_a_customer_of_the_branch_owned_by_its_rep(
    sales, auth, customers
):
    customer = await customers.created(owner="north-rep2")

    body = (await open_one(sales, auth, customer, user="north-mgr")).json()

    assert body["owner_id"] == "north-rep2"
    assert body["created_by"] == "north-mgr"


async def test_stage_amount_and_close_date_changes_publish_their_old_and_new_values(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)
    url = created.headers["location"]
    rep = auth("north-rep")

    moved = await sales.post(
        f"{url}/stage",
        json={"stage": "proposal"},
        headers={**rep, "If-Match": created.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["stage"], moved.json()["probability"]) == ("proposal", 50)
    edited = await sales.patch(
        url,
        json={"amount": "230000.00", "expected_close_date": "2026-07-31"},
        headers={**rep, "If-Match": moved.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"4"'

    [stage] = await sales_events("crm.sales.opportunity.stage_changed.v1")
    [amount] = await sales_events("crm.sales.opportunity.amount_changed.v1")
    [close] = await sales_events("crm.sales.opportunity.close_date_changed.v1")
    assert {
        k: stage.data[k] for k in ("old_stage", "new_stage", "old_probability", "new_probability")
    } == {
        "old_stage": "qualification",
        "new_stage": "proposal",
        "old_probability": 10,
        "new_probability": 50,
    }
    assert (amount.data["old_amount"], amount.data["new_amount"]) == ("250000.00", "230000.00")
    assert (close.data["old_close_date"], close.data["new_close_date"]) == (
        "2026-06-30",
        "2026-07-31",
    )
    assert [stage.sequence, amount.sequence, close.sequence] == [2, 3, 4]


async def test_winning_publishes_won_with_customer_amount_currency_and_owner(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)

    won = await sales.post(
        f"{created.headers['location']}/win",
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )

    assert won.status_code == 200, won.text
    assert (won.json()["status"], won.json()["stage"], won.json()["probability"]) == (
        "won",
        "won",
        100,
    )
    [event] = await sales_events("crm.sales.opportunity.won.v1")
    assert event.partitionkey == str(customer)
    assert {k: event.data[k] for k in ("customer_id", "amount", "currency", "owner_id")} == {
        "customer_id": str(customer),
        "amount": "250000.00",
        "currency": "EUR",
        "owner_id": "north-rep",
    }


async def test_losing_without_a_reason_is_refused_naming_the_field(sales, auth, customers):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)
    headers = {**auth("north-rep"), "If-Match": created.headers["etag"]}

    missing = await sales.post(f"{created.headers['location']}/lose", json={}, headers=headers)
    blank = await sales.post(
        f"{created.headers['location']}/lose", json={"reason": "  "}, headers=headers
    )

    assert missing.status_code == blank.status_code == 422
    assert missing.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in missing.json()["errors"]] == ["reason"]
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]


async def test_a_lost_opportunity_is_reopened_by_a_manager_not_by_the_rep(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)
    url = created.headers["location"]
    lost = await sales.post(
        f"{url}/lose",
        json={"reason": "competitor was cheaper"},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )
    moved = await sales.post(
        f"{url}/stage",
        json={"stage": "proposal"},
        headers={**auth("north-rep"), "If-Match": lost.headers["etag"]},
    )
    by_rep = await sales.post(
        f"{url}/reopen", json={}, headers={**auth("north-rep"), "If-Match": lost.headers["etag"]}
    )
    by_manager = await sales.post(
        f"{url}/reopen",
        json={"stage": "negotiation"},
        headers={**auth("north-mgr"), "If-Match": lost.headers["etag"]},
    )

    assert moved.status_code == 409
    assert by_rep.status_code == 403
    assert by_manager.status_code == 200, by_manager.text
    assert (by_manager.json()["status"], by_manager.json()["probability"]) == ("open", 75)
    [lost_event] = await sales_events("crm.sales.opportunity.lost.v1")
    assert lost_event.data["reason"] == "competitor was cheaper"
    await sales_events("crm.sales.opportunity.reopened.v1")


async def test_an_update_with_a_stale_if_match_gets_412_and_without_one_428(sales, auth, customers):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)
    url, rep = created.headers["location"], auth("north-rep")
    first = await sales.patch(
        url, json={"name": "Fleet A"}, headers={**rep, "If-Match": created.headers["etag"]}
    )

    stale = await sales.patch(
        url, json={"name": "Fleet B"}, headers={**rep, "If-Match": created.headers["etag"]}
    )
    missing = await sales.patch(url, json={"name": "Fleet C"}, headers=rep)

    assert first.status_code == 200
    assert (stale.status_code, stale.json()["current_version"]) == (412, 2)
    assert missing.status_code == 428
    assert (await sales.get(url, headers=rep)).json()["name"] == "Fleet A"


async def test_bad_input_is_a_422_naming_every_field_never_a_500(sales, auth, customers):
    customer = await customers.created()
    created = await open_one(sales, auth, customer)

    bad_create = await sales.post(
        "/opportunities",
        json={"customer_id": "nope", "amount": "-5", "currency": "euro", "colour": "red"},
        headers=auth("north-rep"),
    )
    null_amount = await sales.patch(
        created.headers["location"],
        json={"amount": None},
        headers={**auth("north-rep"), "If-Match": "*"},
    )

    assert bad_create.status_code == 422
    assert {e["field"] for e in bad_create.json()["errors"]} == {
        "customer_id",
        "name",
        "amount",
        "currency",
        "expected_close_date",
        "colour",
    }
    assert null_amount.status_code == 422
    assert [e["field"] for e in null_amount.json()["errors"]] == ["amount"]


async def test_lists_are_paged_sorted_and_filtered(sales, auth, customers):
    customer = await customers.created()
    for amount in ("300", "100", "200"):
        await open_one(sales, auth, customer, amount=amount, name=f"Deal {amount}")
    other = await customers.created()
    await open_one(sales, auth, other, amount="999")
    rep = auth("north-rep")

    page = await sales.get(
        "/opportunities",
        params={"customer_id": str(customer), "sort": "-amount", "limit": 2},
        headers=rep,
    )
    second = await sales.get(
        "/opportunities",
        params={"customer_id": str(customer), "sort": "-amount", "limit": 2, "offset": 2},
        headers=rep,
    )
    bad_sort = await sales.get("/opportunities", params={"sort": "secret"}, headers=rep)

    assert page.json()["total"] == 3
    assert [o["amount"] for o in page.json()["items"]] == ["300", "200"]
    assert [o["amount"] for o in second.json()["items"]] == ["100"]
    assert bad_sort.status_code == 422
    assert bad_sort.json()["errors"][0]["field"] == "sort"


async def test_a_repeated_idempotency_key_opens_one_opportunity(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    headers = {**auth("north-rep"), "Idempotency-Key": str(uuid.uuid4())}
    body = {**OPPORTUNITY, "customer_id": str(customer)}

    first = await sales.post("/opportunities", json=body, headers=headers)
    again = await sales.post("/opportunities", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await sales_events(OPENED, settle_s=0.5)) == 1


async def test_a_tenants_own_pipeline_sets_the_stages_and_default_probabilities(
    sales, auth, customers
):
    admin = auth("admin")
    current = await sales.get("/configuration", headers=admin)
    assert current.headers["etag"] == '"0"'  # the defaults, not stored yet
    stages = [
        {"key": "lead_in", "name": "Lead in", "probability": 5},
        {"key": "demo", "name": "Demo given", "probability": 40},
        {"key": "closed_won", "name": "Won", "probability": 100, "outcome": "won"},
        {"key": "closed_lost", "name": "Lost", "probability": 0, "outcome": "lost"},
    ]
    by_rep = await sales.put(
        "/configuration", json={"stages": stages}, headers={**auth("north-rep"), "If-Match": '"0"'}
    )
    saved = await sales.put(
        "/configuration", json={"stages": stages}, headers={**admin, "If-Match": '"0"'}
    )
    customer = await customers.created()

    created = await open_one(sales, auth, customer)
    moved = await sales.post(
        f"{created.headers['location']}/stage",
        json={"stage": "demo"},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )

    assert by_rep.status_code == 403
    assert saved.status_code == 200, saved.text
    assert (created.json()["stage"], created.json()["probability"]) == ("lead_in", 5)
    assert (moved.json()["stage"], moved.json()["probability"]) == ("demo", 40)
    dropping = await sales.put(
        "/configuration",
        json={"stages": [stages[0], *stages[2:]]},
        headers={**admin, "If-Match": saved.headers["etag"]},
    )
    assert dropping.status_code == 409  # an open opportunity sits in "demo"
    assert [e["field"] for e in dropping.json()["errors"]] == ["stages"]
