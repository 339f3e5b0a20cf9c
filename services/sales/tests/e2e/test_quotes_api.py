"""Products, quotes and orders over HTTP: cost hidden from reps, the loss alarm and its
approval, and accepting a quote into an order and a contract."""

from __future__ import annotations

import pytest

FORKLIFT = {
    "sku": "FRK-200",
    "name": "Forklift rental",
    "list_price": "1000.00",
    "unit_cost": "800.00",
    "currency": "EUR",
}


@pytest.fixture
async def product(sales, auth):
    response = await sales.post("/products", json=FORKLIFT, headers=auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def a_quote(customer, product, *, price=None, discount="0"):
    line = {"product_id": product["id"], "quantity": "2", "discount_percent": discount}
    if price is not None:
        line["unit_price"] = price
    return {"customer_id": str(customer), "currency": "EUR", "lines": [line]}


async def test_unit_cost_and_margin_are_shown_to_managers_only(sales, auth, customers, product):
    customer = await customers.created()
    quote = await sales.post("/quotes", json=a_quote(customer, product), headers=auth("north-rep"))
    assert quote.status_code == 201, quote.text
    url = quote.headers["location"]

    rep_product = (await sales.get(f"/products/{product['id']}", headers=auth("north-rep"))).json()
    rep_list = (await sales.get("/products", headers=auth("north-rep"))).json()
    rep_quote = (await sales.get(url, headers=auth("north-rep"))).json()
    manager_quote = (await sales.get(url, headers=auth("north-mgr"))).json()
    manager_product = (await sales.get(f"/products/{product['id']}", headers=auth("ceo"))).json()

    assert "unit_cost" not in rep_product
    assert "unit_cost" not in rep_list["items"][0]
    assert "unit_cost" not in quote.json()["lines"][0]
    assert not {"cost", "margin"} & set(rep_quote)
    assert not {"unit_cost", "cost"} & set(rep_quote["lines"][0])
    assert rep_quote["total"] == "2000.00"
    assert manager_product["unit_cost"] == "800.00"
    assert (manager_quote["cost"], manager_quote["margin"]) == ("1600.00", "400.00")
    assert manager_quote["lines"][0]["unit_cost"] == "800.00"


async def test_a_quote_below_cost_raises_the_alarm_and_goes_out_only_after_approval(
    sales, auth, customers, product, sales_events
):
    customer = await customers.created()
    rep, manager = auth("north-rep"), auth("north-mgr")
    drafted = await sales.post(
        "/quotes", json=a_quote(customer, product, price="750.00"), headers=rep
    )
    assert drafted.status_code == 201, drafted.text
    url = drafted.headers["location"]
    assert drafted.json()["loss_alarm"] is True

    sent_early = await sales.post(
        f"{url}/send", headers={**rep, "If-Match": drafted.headers["etag"]}
    )
    by_rep = await sales.post(
        f"{url}/approve-loss", headers={**rep, "If-Match": drafted.headers["etag"]}
    )
    approved = await sales.post(
        f"{url}/approve-loss", headers={**manager, "If-Match": drafted.headers["etag"]}
    )
    sent = await sales.post(f"{url}/send", headers={**rep, "If-Match": approved.headers["etag"]})

    assert sent_early.status_code == 409
    assert "approve the loss" in sent_early.json()["detail"]
    assert by_rep.status_code == 403
    assert approved.status_code == 200, approved.text
    assert approved.json()["loss_approved_by"] == "north-mgr"
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    [alarm] = await sales_events("crm.sales.quote.loss_alarm_raised.v1")
    assert alarm.data["lines_below_cost"] == [1]
    assert (alarm.data["total"], alarm.data["cost"], alarm.data["margin"]) == (
        "1500.00",
        "1600.00",
        "-100.00",
    )
    [approval] = await sales_events("crm.sales.quote.loss_approved.v1")
    assert approval.data["approved_by"] == "north-mgr"


async def test_accepting_a_quote_places_the_order_and_starts_the_contract(
    sales, auth, customers, product, sales_events
):
    customer = await customers.created()
    rep = auth("north-rep")
    drafted = await sales.post("/quotes", json=a_quote(customer, product), headers=rep)
    url = drafted.headers["location"]
    sent = await sales.post(f"{url}/send", headers={**rep, "If-Match": drafted.headers["etag"]})

    accepted = await sales.post(
        f"{url}/accept",
        json={"contract": {"start_date": "2026-04-01", "end_date": "2027-03-31"}},
        headers={**rep, "If-Match": sent.headers["etag"]},
    )

    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["quote"]["status"] == "accepted"
    order = (await sales.get(f"/orders/{body['order_id']}", headers=rep)).json()
    contract = (await sales.get(f"/contracts/{body['contract_id']}", headers=rep)).json()
    assert (order["status"], order["quote_id"], order["total"]) == (
        "confirmed",
        drafted.json()["id"],
        "2000.00",
    )
    assert (contract["start_date"], contract["end_date"], contract["amount"]) == (
        "2026-04-01",
        "2027-03-31",
        "2000.00",
    )
    [confirmed] = await sales_events("crm.sales.order.confirmed.v1")
    assert confirmed.data["lines"][0]["sku"] == "FRK-200"
    [accept_event] = await sales_events("crm.sales.quote.accepted.v1")
    assert accept_event.data["order_id"] == body["order_id"]
    assert accept_event.data["contract_id"] == body["contract_id"]


async def test_an_order_below_cost_waits_for_a_managers_approval(
    sales, auth, customers, product, sales_events
):
    customer = await customers.created()
    placed = await sales.post(
        "/orders", json=a_quote(customer, product, discount="30"), headers=auth("north-rep")
    )
    assert placed.status_code == 201, placed.text
    assert (placed.json()["status"], placed.json()["loss_alarm"]) == ("pending_approval", True)

    approved = await sales.post(
        f"{placed.headers['location']}/approve-loss",
        headers={**auth("north-mgr"), "If-Match": placed.headers["etag"]},
    )

    assert approved.json()["status"] == "confirmed"
    [alarm] = await sales_events("crm.sales.order.loss_alarm_raised.v1")
    assert alarm.data["lines_below_cost"] == [1]
    [confirmed] = await sales_events("crm.sales.order.confirmed.v1")
    assert confirmed.data["confirmed_by"] == "north-mgr"


async def test_the_catalogue_is_kept_by_administrators_and_skus_are_unique(sales, auth, product):
    by_rep = await sales.post(
        "/products", json={**FORKLIFT, "sku": "X-1"}, headers=auth("north-rep")
    )
    again = await sales.post("/products", json=FORKLIFT, headers=auth("admin"))
    repriced = await sales.patch(
        f"/products/{product['id']}",
        json={"list_price": "1100.00"},
        headers={**auth("admin"), "If-Match": '"1"'},
    )

    assert by_rep.status_code == 403
    assert again.status_code == 409
    assert again.json()["errors"] == [{"field": "sku", "message": "already in use"}]
    assert repriced.status_code == 200, repriced.text
    assert (repriced.json()["list_price"], repriced.headers["etag"]) == ("1100.00", '"2"')


async def test_a_line_with_an_unknown_product_is_refused_naming_the_line(sales, auth, customers):
    customer = await customers.created()

    response = await sales.post(
        "/quotes",
        json={
            "customer_id": str(customer),
            "currency": "EUR",
            "lines": [{"product_id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", "quantity": "1"}],
        },
        headers=auth("north-rep"),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lines[0].product_id", "message": "unknown product"}
    ]
