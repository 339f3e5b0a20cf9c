"""Segments: static lists and saved filters for marketing."""

from __future__ import annotations


async def test_a_filter_segment_resolves_to_matching_customers_when_read(
    customers, auth, new_customer
):
    retail = await new_customer(name="Shop", industry="retail")
    marketer = auth("marketer")
    created = await customers.post(
        "/segments",
        headers=marketer,
        json={"name": "Retail", "kind": "filter", "filter": {"industry": "retail"}},
    )
    assert created.status_code == 201, created.text
    later = await new_customer(name="Second shop", industry="Retail")
    await new_customer(name="Mine", industry="mining")
    members = (
        await customers.get(f"{created.headers['location']}/members", headers=marketer)
    ).json()
    assert {c["id"] for c in members["items"]} == {retail["id"], later["id"]}


async def test_a_static_segment_keeps_the_listed_customers(customers, auth, new_customer):
    a = await new_customer(name="A")
    b = await new_customer(name="B")
    manager = auth("north-mgr")
    created = await customers.post(
        "/segments", headers=manager, json={"name": "Fair", "kind": "static", "members": [a["id"]]}
    )
    url = created.headers["location"]
    changed = await customers.patch(
        url,
        json={"add": [b["id"]], "remove": [a["id"]]},
        headers={**manager, "If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200
    members = (await customers.get(f"{url}/members", headers=manager)).json()
    assert [c["id"] for c in members["items"]] == [b["id"]]


async def test_a_segment_shows_a_reader_only_customers_in_their_scope(
    customers, auth, new_customer
):
    await new_customer("admin", name="South", branch_id="south", industry="retail")
    await new_customer("admin", name="North", branch_id="north", industry="retail")
    created = await customers.post(
        "/segments",
        headers=auth("admin"),
        json={"name": "Retail", "kind": "filter", "filter": {"industry": "retail"}},
    )
    members = (
        await customers.get(f"{created.headers['location']}/members", headers=auth("north-mgr"))
    ).json()
    assert [c["name"] for c in members["items"]] == ["North"]


async def test_a_rep_cannot_manage_segments_and_unknown_members_are_refused(customers, auth):
    refused = await customers.post(
        "/segments", headers=auth("north-rep"), json={"name": "x", "kind": "static"}
    )
    assert refused.status_code == 403
    unknown = await customers.post(
        "/segments",
        headers=auth("marketer"),
        json={"name": "x", "kind": "static", "members": ["3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "members"
