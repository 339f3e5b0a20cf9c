"""Interactions, the data policy, custom fields, lifecycle, merge and scoping, over HTTP."""

from __future__ import annotations

from crm_contracts import CUSTOMERS_EVENTS
from servicekit.testing import read_events

VISIT = {
    "occurred_at": "2026-11-20T10:30:00+08:00",
    "place": "Customer's office",
    "channel": "visit",
    "content": "Presented the annual plan.",
    "outcome": "Interested.",
    "next_step": "Send a quote.",
    "next_step_due": "2026-11-25",
}


async def test_an_interaction_needs_every_field(customers, auth, new_customer):
    created = await new_customer()
    response = await customers.post(
        f"/customers/{created['id']}/interactions",
        json={"content": "hello"},
        headers=auth("north-rep"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"occurred_at", "place", "channel", "outcome", "next_step", "next_step_due"}


async def test_a_closed_interaction_cannot_be_changed_or_deleted(customers, auth, new_customer):
    created = await new_customer()
    logged = await customers.post(
        f"/customers/{created['id']}/interactions", json=VISIT, headers=auth("north-rep")
    )
    assert logged.status_code == 201
    url = logged.headers["location"]
    closed = await customers.post(f"{url}/close", headers=auth("north-rep"))
    assert closed.status_code == 200
    edit = await customers.patch(
        url,
        json={"outcome": "rewritten"},
        headers={**auth("north-rep"), "If-Match": closed.headers["etag"]},
    )
    assert edit.status_code == 409
    assert (await customers.delete(url, headers=auth("north-rep"))).status_code == 409
    timeline = (
        await customers.get(f"/customers/{created['id']}/timeline", headers=auth("north-rep"))
    ).json()
    assert timeline[0]["interaction"]["outcome"] == "Interested."


async def test_the_demo_policy_refuses_an_incomplete_customer_naming_every_field(customers, infra):
    demo_rep = {"Authorization": f"Bearer {infra.token('north-rep', tenant='demo')}"}
    response = await customers.post(
        "/customers", json={"name": "Half done", "phone": "12345678"}, headers=demo_rep
    )
    assert response.status_code == 422
    missing = [e["field"] for e in response.json()["errors"]]
    assert missing == ["category", "industry", "fax", "contact_name", "postal_code", "address"]


async def test_an_update_that_empties_a_required_field_is_refused(customers, auth, new_customer):
    admin = auth("admin")
    await customers.put(
        "/settings/policy",
        headers=admin,
        json={"required_fields": ["name", "phone"], "pool_return_days": 30, "pool_warning_days": 3},
    )
    created = await customers.post(
        "/customers", json={"name": "A", "phone": "12345678"}, headers=auth("north-rep")
    )
    response = await customers.patch(
        created.headers["location"],
        json={"phone": None},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


async def test_custom_fields_are_validated_and_filterable(customers, auth, new_customer):
    admin = auth("admin")
    defined = await customers.put(
        "/settings/custom-fields/region",
        headers=admin,
        json={"key": "region", "label": "Region", "type": "choice", "choices": ["east", "west"]},
    )
    assert defined.status_code == 200
    bad = await customers.post(
        "/customers",
        headers=auth("north-rep"),
        json={"name": "A", "custom_fields": {"region": "north"}},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "custom_fields.region"
    east = await new_customer(custom_fields={"region": "east"})
    await new_customer(custom_fields={"region": "west"})
    found = (await customers.get("/customers?cf.region=east", headers=admin)).json()
    assert [c["id"] for c in found["items"]] == [east["id"]]


async def test_lifecycle_changes_are_published_with_the_reason(
    customers, auth, new_customer, infra, tenant
):
    created = await customers.post(
        "/customers", headers=auth("north-rep"), json={"name": "A", "lifecycle_stage": "customer"}
    )
    churn = await customers.post(
        f"{created.headers['location']}/lifecycle",
        json={"stage": "churned", "reason": "went to a competitor"},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )
    assert churn.status_code == 200
    [event] = await read_events(
        infra.bootstrap,
        CUSTOMERS_EVENTS,
        where=lambda e: (
            e.tenantid == tenant and e.type == "crm.customers.customer.lifecycle_changed.v1"
        ),
    )
    assert event.data["reason"] == "went to a competitor"
    assert event.sequence == 2


async def test_duplicates_are_found_and_merged_keeping_contacts_and_interactions(
    customers, auth, new_customer, infra, tenant
):
    manager = auth("north-mgr")
    keep = await new_customer(
        "north-mgr", name="Hangzhou Xinyuan Trading Co., Ltd.", phone="0571-8888 6666"
    )
    dup = await new_customer("north-mgr", name="hangzhou xinyuan trading", email="li@xy.cn")
    await customers.post(
        f"/customers/{dup['id']}/contacts", json={"name": "Li Wei"}, headers=manager
    )
    await customers.post(f"/customers/{dup['id']}/interactions", json=VISIT, headers=manager)

    groups = (await customers.get("/customers/duplicates", headers=manager)).json()
    assert {frozenset(c["id"] for c in g["customers"]) for g in groups} == {
        frozenset({keep["id"], dup["id"]})
    }

    merged = await customers.post(
        "/customers/merge",
        headers=manager,
        json={"survivor_id": keep["id"], "duplicate_id": dup["id"]},
    )
    assert merged.status_code == 200
    assert merged.json()["email"] == "li@xy.cn"  # a gap filled from the duplicate
    assert (await customers.get(f"/customers/{dup['id']}", headers=manager)).status_code == 404
    contacts = (await customers.get(f"/customers/{keep['id']}/contacts", headers=manager)).json()
    assert [c["name"] for c in contacts] == ["Li Wei"]
    timeline = (await customers.get(f"/customers/{keep['id']}/timeline", headers=manager)).json()
    assert [e["kind"] for e in timeline] == ["interaction"]
    [event] = await read_events(
        infra.bootstrap,
        CUSTOMERS_EVENTS,
        where=lambda e: e.tenantid == tenant and e.type == "crm.customers.customer.merged.v1",
    )
    assert event.data == {
        "customer_id": keep["id"],
        "merged_id": dup["id"],
        "merged_by": "north-mgr",
    }
    moved = await read_events(
        infra.bootstrap,
        CUSTOMERS_EVENTS,
        expect=2,
        where=lambda e: e.tenantid == tenant and e.type == "crm.customers.contact.changed.v1",
    )
    # Added under the duplicate (version 1), then moved to the survivor (version 2); the two
    # are keyed by different customers, so they may arrive in either order.
    by_version = sorted(moved, key=lambda m: m.sequence)
    assert [m.data["customer_id"] for m in by_version] == [dup["id"], keep["id"]]


async def test_a_south_rep_cannot_read_update_or_list_a_north_customer(
    customers, auth, new_customer
):
    created = await customers.post(
        "/customers", json={"name": "North only"}, headers=auth("north-rep")
    )
    url = created.headers["location"]
    south = auth("south-rep")
    assert (await customers.get(url, headers=south)).status_code == 404
    patched = await customers.patch(
        url, json={"name": "Mine now"}, headers={**south, "If-Match": created.headers["etag"]}
    )
    assert patched.status_code == 404
    listed = (await customers.get("/customers", headers=south)).json()
    assert listed["total"] == 0
    assert (await customers.get(url, headers=auth("north-rep"))).json()["name"] == "North only"


async def test_lists_filter_sort_and_page(customers, auth, new_customer):
    for name in ("Charlie", "alpha", "Bravo"):
        await new_customer(name=name, industry="retail")
    await new_customer(name="Delta", industry="mining")
    admin = auth("admin")
    page = (
        await customers.get("/customers?industry=retail&sort=name&limit=2", headers=admin)
    ).json()
    assert page["total"] == 3
    assert [c["name"] for c in page["items"]] == ["Bravo", "Charlie"] or [
        c["name"] for c in page["items"]
    ] == ["alpha", "Bravo"]
    searched = (await customers.get("/customers?q=elt", headers=admin)).json()
    assert [c["name"] for c in searched["items"]] == ["Delta"]
    await new_customer(name="Echo", tags=["vip", "zhejiang"])
    tagged = (await customers.get("/customers?tag=zhejiang", headers=admin)).json()
    assert [c["name"] for c in tagged["items"]] == ["Echo"]
    bad = await customers.get("/customers?sort=password", headers=admin)
    assert bad.status_code == 422
    too_big = await customers.get("/customers?limit=1000000", headers=admin)
    assert too_big.status_code == 422


async def test_completeness_is_reported_per_owner(customers, auth, new_customer):
    await new_customer("north-rep", phone="12345678", industry="retail", category="a")
    await new_customer("north-rep2")
    rows = (await customers.get("/customers/completeness", headers=auth("north-mgr"))).json()
    by_owner = {r["owner_id"]: r for r in rows}
    assert by_owner["north-rep"]["average"] == 0.4
    assert by_owner["north-rep2"]["average"] == 0.1
