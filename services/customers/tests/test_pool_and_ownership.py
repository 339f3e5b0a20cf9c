"""One owner per customer, the shared pool, and the rule that returns idle customers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from crm_contracts import CUSTOMERS_EVENTS
from crm_customers.service_layer.jobs import POOL_RULE
from servicekit.testing import read_events


async def test_two_reps_claiming_the_same_customer_at_once_one_wins(customers, auth, new_customer):
    pooled = await new_customer("north-mgr")  # a manager's customer without owner: the pool
    assert pooled["owner_id"] is None
    url = f"/pool/{pooled['id']}/claim"
    first, second = await asyncio.gather(
        customers.post(url, headers=auth("north-rep")),
        customers.post(url, headers=auth("north-rep2")),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = "north-rep" if first.status_code == 200 else "north-rep2"
    current = (await customers.get(f"/customers/{pooled['id']}", headers=auth("north-mgr"))).json()
    assert current["owner_id"] == winner
    history = (
        await customers.get(
            f"/customers/{pooled['id']}/ownership-history", headers=auth("north-mgr")
        )
    ).json()
    assert [(h["new_owner_id"], h["reason"]) for h in history] == [(winner, "claimed")]


async def test_the_pool_lists_unowned_customers_of_the_reps_branch(customers, auth, new_customer):
    north = await new_customer("north-mgr", name="North pooled")
    await new_customer("admin", name="South pooled", branch_id="south")
    owned = await new_customer("north-rep", name="Owned")
    listed = (await customers.get("/pool", headers=auth("north-rep"))).json()
    assert [c["id"] for c in listed["items"]] == [north["id"]]
    assert owned["id"] not in [c["id"] for c in listed["items"]]


async def test_a_rep_cannot_assign_and_a_manager_can(customers, auth, new_customer):
    created = await new_customer("north-rep")
    url = f"/customers/{created['id']}/assign"
    refused = await customers.post(url, json={"owner_id": "north-rep"}, headers=auth("north-rep2"))
    assert refused.status_code in (403, 404)
    denied = await customers.post(url, json={"owner_id": "north-rep2"}, headers=auth("north-rep"))
    assert denied.status_code == 403
    moved = await customers.post(url, json={"owner_id": "north-rep2"}, headers=auth("north-mgr"))
    assert moved.status_code == 200
    assert moved.json()["owner_id"] == "north-rep2"
    # The previous owner no longer sees it; the new one does.
    assert (
        await customers.get(f"/customers/{created['id']}", headers=auth("north-rep"))
    ).status_code == 404
    assert (
        await customers.get(f"/customers/{created['id']}", headers=auth("north-rep2"))
    ).status_code == 200


async def test_a_released_customer_goes_to_the_pool_with_its_history(customers, auth, new_customer):
    created = await new_customer("north-rep")
    await customers.post(
        f"/customers/{created['id']}/interactions", json=VISIT, headers=auth("north-rep")
    )
    released = await customers.post(
        f"/customers/{created['id']}/release", headers=auth("north-rep")
    )
    assert released.status_code == 200
    assert released.json()["owner_id"] is None
    claimed = await customers.post(f"/pool/{created['id']}/claim", headers=auth("north-rep2"))
    assert claimed.status_code == 200
    timeline = (
        await customers.get(f"/customers/{created['id']}/timeline", headers=auth("north-rep2"))
    ).json()
    kinds = [(e["kind"], (e["ownership"] or {}).get("reason")) for e in timeline]
    assert ("interaction", None) in kinds  # the next rep sees what was done before
    assert ("ownership", "released") in kinds
    assert ("ownership", "claimed") in kinds


async def test_idle_customers_are_warned_then_returned_to_the_pool(
    customers, auth, new_customer, runtime, infra, tenant
):
    admin = auth("admin")
    policy = {"required_fields": ["name"], "pool_return_days": 30, "pool_warning_days": 3}
    assert (await customers.put("/settings/policy", json=policy, headers=admin)).status_code == 200
    idle = await new_customer("north-rep", name="Idle")
    busy = await new_customer("north-rep", name="Busy")
    start = datetime.now(UTC)
    later_visit = {
        **VISIT,
        "occurred_at": (start + timedelta(days=20)).isoformat(),
        "next_step_due": (start + timedelta(days=25)).date().isoformat(),
    }
    await customers.post(
        f"/customers/{busy['id']}/interactions", json=later_visit, headers=auth("north-rep")
    )

    await runtime.scheduler.run_once(POOL_RULE, now=start + timedelta(days=28))
    await runtime.scheduler.run_once(POOL_RULE, now=start + timedelta(days=29))  # warned once
    still = (await customers.get(f"/customers/{idle['id']}", headers=admin)).json()
    assert still["owner_id"] == "north-rep"

    await runtime.scheduler.run_once(POOL_RULE, now=start + timedelta(days=31))
    returned = (await customers.get(f"/customers/{idle['id']}", headers=admin)).json()
    kept = (await customers.get(f"/customers/{busy['id']}", headers=admin)).json()
    assert returned["owner_id"] is None
    assert kept["owner_id"] == "north-rep"  # its interaction on day 20 reset the clock

    published = await read_events(
        infra.bootstrap,
        CUSTOMERS_EVENTS,
        where=lambda e: (
            e.tenantid == tenant
            and e.subject == f"customer/{idle['id']}"
            and e.type.split(".")[3] in ("pool_return_warning", "owner_changed")
        ),
        expect=2,
        settle_s=0.5,
    )
    assert [e.type for e in published] == [
        "crm.customers.customer.pool_return_warning.v1",
        "crm.customers.customer.owner_changed.v1",
    ]
    assert published[1].data["reason"] == "returned_to_pool"


VISIT = {
    "occurred_at": "2026-11-20T10:30:00+08:00",
    "place": "Customer's office",
    "channel": "visit",
    "content": "Presented the annual plan.",
    "outcome": "Interested.",
    "next_step": "Send a quote.",
    "next_step_due": "2026-11-25",
}


async def test_the_value_pyramid_ranks_customers_by_revenue(
    customers, auth, new_customer, runtime, tenant
):
    from crm_customers.service_layer.jobs import VALUE_TIERS
    from sqlalchemy import text

    created = [await new_customer("north-rep", name=f"C{n:02}") for n in range(20)]
    async with runtime.session_factory() as session, session.begin():
        for n, customer in enumerate(created):
            await session.execute(
                text("UPDATE customers SET revenue = :r WHERE id = :id"),
                {"r": 1000.0 * (20 - n), "id": customer["id"]},
            )
    await runtime.scheduler.run_once(VALUE_TIERS)
    page = (
        await customers.get("/customers?sort=-revenue&limit=20", headers=auth("north-rep"))
    ).json()
    tiers = [c["tier"] for c in page["items"]]
    # 20 customers: the top one is the top 1%, ranks 1-3 fall in the next 15% (5%..20%).
    assert tiers == ["vip", "medium", "medium", "medium"] + ["small"] * 16
    assert (await runtime.scheduler.run_once(VALUE_TIERS)) == 0  # nothing moves twice
