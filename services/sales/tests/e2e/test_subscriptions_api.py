"""Contracts and subscriptions: the expiry job (expiring once, then not renewed), renewal,
and who has a subscription in force on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from crm_sales.service_layer.jobs import SUBSCRIPTION_EXPIRY

EXPIRING = "crm.sales.contract.expiring.v1"
NOT_RENEWED = "crm.sales.contract.not_renewed.v1"
TODAY = datetime.now(UTC).date()


async def start(sales, auth, customer, start: date, end: date, user="north-rep"):
    response = await sales.post(
        "/contracts",
        json={
            "customer_id": str(customer),
            "name": "Forklift rental",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "amount": "12000.00",
            "currency": "EUR",
        },
        headers=auth(user),
    )
    assert response.status_code == 201, response.text
    return response


async def run_expiry(app, now: datetime) -> None:
    await app.state.runtime.scheduler.run_once(SUBSCRIPTION_EXPIRY, now=now)


async def test_the_expiry_job_flags_a_subscription_once_and_marks_it_not_renewed_after_its_end(
    sales, auth, customers, app, sales_events
):
    customer = await customers.created()
    ending = await start(
        sales, auth, customer, TODAY - timedelta(days=300), TODAY + timedelta(days=10)
    )
    ended = await start(
        sales, auth, customer, TODAY - timedelta(days=60), TODAY - timedelta(days=1)
    )
    later = await start(sales, auth, customer, TODAY, TODAY + timedelta(days=200))
    now = datetime.now(UTC)

    await run_expiry(app, now)
    await run_expiry(app, now + timedelta(hours=1))

    rep = auth("north-rep")
    statuses = [
        (await sales.get(c.headers["location"], headers=rep)).json()["status"]
        for c in (ending, ended, later)
    ]
    assert statuses == ["expiring", "not_renewed", "active"]
    [flagged] = await sales_events(EXPIRING, settle_s=0.5)
    assert flagged.data["contract_id"] == ending.json()["id"]
    assert flagged.data["days_left"] == 10
    [lapsed] = await sales_events(NOT_RENEWED)
    assert lapsed.data["contract_id"] == ended.json()["id"]

    await run_expiry(app, now + timedelta(days=11))

    assert (await sales.get(ending.headers["location"], headers=rep)).json()["status"] == (
        "not_renewed"
    )
    assert len(await sales_events(NOT_RENEWED, expect=2)) == 2


async def test_the_notice_period_is_the_tenants_setting(sales, auth, customers, app, sales_events):
    admin = auth("admin")
    current = await sales.get("/configuration", headers=admin)
    body = current.json()
    saved = await sales.put(
        "/configuration",
        json={"stages": body["stages"], "timezone": "UTC", "expiring_days_ahead": 5},
        headers={**admin, "If-Match": current.headers["etag"]},
    )
    assert saved.status_code == 200, saved.text
    customer = await customers.created()
    in_ten_days = await start(sales, auth, customer, TODAY, TODAY + timedelta(days=10))
    in_five_days = await start(sales, auth, customer, TODAY, TODAY + timedelta(days=5))

    await run_expiry(app, datetime.now(UTC))

    [flagged] = await sales_events(EXPIRING, settle_s=0.5)
    assert flagged.data["contract_id"] == in_five_days.json()["id"]
    assert flagged.data["contract_id"] != in_ten_days.json()["id"]


async def test_renewal_starts_the_next_period_and_the_renewed_one_is_left_alone(
    sales, auth, customers, app, sales_events
):
    customer = await customers.created()
    first_day = TODAY - timedelta(days=355)
    current = await start(sales, auth, customer, first_day, TODAY + timedelta(days=5))

    renewed = await sales.post(
        f"{current.headers['location']}/renew",
        json={},
        headers={**auth("north-rep"), "If-Match": current.headers["etag"]},
    )
    await run_expiry(app, datetime.now(UTC))

    assert renewed.status_code == 201, renewed.text
    body = renewed.json()
    assert body["renewed"]["status"] == "renewed"
    assert body["next"]["start_date"] == (TODAY + timedelta(days=6)).isoformat()
    assert body["next"]["previous_id"] == current.json()["id"]
    assert renewed.headers["location"] == f"/contracts/{body['next']['id']}"
    [event] = await sales_events("crm.sales.contract.renewed.v1")
    assert event.data["next_contract_id"] == body["next"]["id"]
    assert await sales_events(EXPIRING, expect=0, settle_s=0.5) == []
    again = await sales.post(
        f"{current.headers['location']}/renew",
        json={},
        headers={**auth("north-rep"), "If-Match": "*"},
    )
    assert again.status_code == 409


async def test_shipping_sees_only_customers_with_a_subscription_in_force_on_the_day(
    sales, auth, customers
):
    day = date(2026, 5, 1)
    in_force = await customers.created(name="In Force Ltd")
    lapsed = await customers.created(name="Lapsed Ltd")
    future = await customers.created(name="Future Ltd")
    elsewhere = await customers.created(name="South Ltd", owner="south-rep", branch="south")
    await start(sales, auth, in_force, date(2026, 1, 1), date(2026, 12, 31))
    await start(sales, auth, in_force, date(2026, 4, 1), date(2026, 5, 1))
    await start(sales, auth, lapsed, date(2025, 5, 1), date(2026, 4, 30))
    await start(sales, auth, future, date(2026, 5, 2), date(2027, 5, 1))
    await start(sales, auth, elsewhere, date(2026, 1, 1), date(2026, 12, 31), user="south-rep")

    north = await sales.get(
        "/contracts/active-customers", params={"on": day.isoformat()}, headers=auth("north-mgr")
    )
    everyone = await sales.get(
        "/contracts/active-customers",
        params={"on": day.isoformat(), "sort": "customer_name"},
        headers=auth("ceo"),
    )

    assert [(c["customer_name"], c["contracts"], c["ends_on"]) for c in north.json()["items"]] == [
        ("In Force Ltd", 2, "2026-12-31")
    ]
    assert [c["customer_name"] for c in everyone.json()["items"]] == ["In Force Ltd", "South Ltd"]
