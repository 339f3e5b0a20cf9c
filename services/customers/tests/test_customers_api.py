"""The first slice of the customers API: create, read, update, over real HTTP semantics."""

from __future__ import annotations

import uuid

from crm_contracts import CUSTOMERS_EVENTS
from servicekit.testing import read_events

ACME = {"name": "Acme Trading", "category": "distributor", "phone": "+86 571 8888 6666"}


async def test_creating_a_customer_answers_201_with_location_and_etag(customers, auth):
    response = await customers.post("/customers", json=ACME, headers=auth("north-rep"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/customers/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["owner_id"] == "north-rep"
    assert body["branch_id"] == "north"
    assert body["lifecycle_stage"] == "lead"

    again = await customers.get(response.headers["location"], headers=auth("north-rep"))
    assert again.status_code == 200
    assert again.json() == body


async def test_a_created_customer_is_published_as_a_cloudevent(customers, auth, infra, tenant):
    created = (await customers.post("/customers", json=ACME, headers=auth("north-mgr"))).json()
    [event] = await read_events(
        infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.tenantid == tenant, settle_s=1.0
    )
    assert event.type == "crm.customers.customer.created.v1"
    assert event.source == "/crm/customers"
    assert event.subject == f"customer/{created['id']}"
    assert event.partitionkey == created["id"]
    assert event.branchid == "north"
    assert event.sequence == 1
    assert event.traceparent is not None
    assert event.data["name"] == "Acme Trading"
    assert event.data["created_by"] == "north-mgr"


async def test_a_rep_of_another_branch_cannot_read_the_customer(customers, auth):
    created = (await customers.post("/customers", json=ACME, headers=auth("north-rep"))).json()
    response = await customers.get(f"/customers/{created['id']}", headers=auth("south-rep"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_another_tenant_cannot_read_the_customer(customers, auth, infra):
    created = (
        await customers.post("/customers", json=ACME, headers=auth("admin", branch="north"))
    ).json()
    stranger = {"Authorization": f"Bearer {infra.token('admin', tenant='other-co')}"}
    response = await customers.get(f"/customers/{created['id']}", headers=stranger)
    assert response.status_code == 404


async def test_an_update_with_a_stale_if_match_gets_412_and_changes_nothing(customers, auth):
    created = await customers.post("/customers", json=ACME, headers=auth("north-rep"))
    location = created.headers["location"]
    first = await customers.patch(
        location,
        json={"phone": "+86 571 1111 2222"},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'

    stale = await customers.patch(
        location,
        json={"phone": "+86 571 3333 4444"},
        headers={**auth("north-rep"), "If-Match": created.headers["etag"]},
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    current = (await customers.get(location, headers=auth("north-rep"))).json()
    assert current["phone"] == "+86 571 1111 2222"


async def test_an_update_without_if_match_is_refused(customers, auth):
    created = await customers.post("/customers", json=ACME, headers=auth("north-rep"))
    response = await customers.patch(
        created.headers["location"],
        json={"phone": "+86 571 1111 2222"},
        headers=auth("north-rep"),
    )
    assert response.status_code == 428


async def test_a_repeated_idempotency_key_returns_the_first_response(
    customers, auth, infra, tenant
):
    headers = {**auth("north-rep"), "Idempotency-Key": str(uuid.uuid4())}
    first = await customers.post("/customers", json=ACME, headers=headers)
    second = await customers.post("/customers", json=ACME, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    events = await read_events(
        infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.tenantid == tenant, settle_s=1.0
    )
    assert len(events) == 1


async def test_an_idempotency_key_reused_for_another_body_is_refused(customers, auth):
    headers = {**auth("north-rep"), "Idempotency-Key": str(uuid.uuid4())}
    await customers.post("/customers", json=ACME, headers=headers)
    response = await customers.post("/customers", json={"name": "Other"}, headers=headers)
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]


async def test_a_missing_token_gets_401(customers):
    response = await customers.post("/customers", json=ACME)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_forged_token_gets_401(customers, auth):
    header = auth("north-rep")["Authorization"]
    forged = header[:-6] + ("AAAAAA" if not header.endswith("AAAAAA") else "BBBBBB")
    response = await customers.post("/customers", json=ACME, headers={"Authorization": forged})
    assert response.status_code == 401


async def test_invalid_input_gets_422_naming_every_bad_field(customers, auth):
    response = await customers.post(
        "/customers",
        json={"email": "not-an-email", "phone": "call me", "colour": "red"},
        headers=auth("north-rep"),
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in problem["errors"]} == {"name", "email", "phone", "colour"}


async def test_a_rep_cannot_create_a_customer_for_someone_else(customers, auth):
    response = await customers.post(
        "/customers", json={**ACME, "owner_id": "north-rep2"}, headers=auth("north-rep")
    )
    assert response.status_code == 403


async def test_an_oversized_body_is_refused_before_it_is_read(customers, auth):
    response = await customers.post(
        "/customers",
        content=b"x" * 2_000_000,
        headers={**auth("north-rep"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_the_service_is_ready_when_database_and_broker_are(customers):
    response = await customers.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
