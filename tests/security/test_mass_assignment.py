"""Mass assignment and property-level access (OWASP API3): fields a role may not set (owner,
branch, tenant, cost, status, who did it, derived figures) are refused or ignored on create
and update; never applied. Fields a role may not see (cost, margin) are not in its answers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

# Fields nobody sets through the API: the server decides them.
SERVER_SIDE = {
    "id": "00000000-0000-4000-8000-000000000001",
    "tenant_id": "another-tenant",
    "tenant": "another-tenant",
    "version": 99,
    "created_by": "ceo",
    "created_at": "2001-01-01T00:00:00Z",
    "deleted_at": "2001-01-01T00:00:00Z",
}


def refused_or_ignored(response: Any) -> bool:
    """422 (an unknown field), 403 (not yours to set), or accepted: then the caller checks
    that nothing of it was applied."""
    return response.status_code in (201, 200, 403, 422)


async def retrying(call: Any, *, seconds: float = 20) -> Any:
    """Other services learn of customers from events: retry while they answer 422."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await call()
        if response.status_code != 422 or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.1)


async def own_customer(stack: Any, bearer: Any, user: str = "north-rep") -> dict[str, Any]:
    made = await stack.client("customers").post(
        "/customers", json={"name": "Mine Ltd"}, headers=bearer(user)
    )
    assert made.status_code == 201, made.text
    customer: dict[str, Any] = made.json()
    return customer


# -- customers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("owner_id", "north-rep2"), ("branch_id", "south")],
)
async def test_a_rep_cannot_create_a_customer_for_someone_else_or_in_another_branch(
    stack: Any, bearer: Any, field: str, value: str
) -> None:
    customers = stack.client("customers")
    response = await customers.post(
        "/customers", json={"name": "Theirs Ltd", field: value}, headers=bearer("north-rep")
    )
    assert response.status_code == 403, response.text
    listed = await customers.get("/customers", headers=bearer("admin"))
    assert listed.json()["total"] == 0


async def test_server_side_fields_are_refused_on_create_and_update(stack: Any, bearer: Any) -> None:
    customers = stack.client("customers")
    rep = bearer("north-rep")
    derived = {"revenue": 1e9, "tier": "A", "satisfaction_score": 5.0, "owner_since": None}
    created = await customers.post(
        "/customers", json={"name": "Sneaky", **SERVER_SIDE, **derived}, headers=rep
    )
    assert created.status_code == 422, created.text
    for name in [*SERVER_SIDE, *derived]:
        assert any(name in str(e) for e in created.json()["errors"]), name

    customer = await own_customer(stack, bearer)
    changes = {
        "owner_id": "north-rep2",
        "branch_id": "south",
        "lifecycle_stage": "customer",
        "revenue": 1e9,
        **SERVER_SIDE,
    }
    for name, value in changes.items():
        changed = await customers.patch(
            f"/customers/{customer['id']}",
            json={name: value},
            headers=rep | {"If-Match": "*"},
        )
        assert changed.status_code == 422, (name, changed.text)
    again = (await customers.get(f"/customers/{customer['id']}", headers=rep)).json()
    assert again == customer | {"updated_at": again["updated_at"]}


# -- sales -------------------------------------------------------------------------------------


async def test_a_rep_can_neither_own_an_opportunity_for_another_nor_set_its_outcome(
    stack: Any, bearer: Any
) -> None:
    sales = stack.client("sales")
    rep = bearer("north-rep")
    customer = await own_customer(stack, bearer)
    body = {
        "customer_id": customer["id"],
        "name": "Fleet",
        "amount": "1000.00",
        "currency": "EUR",
        "expected_close_date": str(date.today() + timedelta(days=60)),
    }
    for_another = await retrying(
        lambda: sales.post("/opportunities", json=body | {"owner_id": "north-rep2"}, headers=rep)
    )
    assert for_another.status_code == 403, for_another.text
    sneaky = await sales.post(
        "/opportunities",
        json=body | {"status": "won", "created_by": "ceo", "id": SERVER_SIDE["id"]},
        headers=rep,
    )
    assert sneaky.status_code == 422, sneaky.text
    opened = await sales.post("/opportunities", json=body, headers=rep)
    assert opened.status_code == 201, opened.text
    opportunity = opened.json()
    for name, value in {
        "status": "won",
        "stage": "won",
        "owner_id": "north-rep2",
        "customer_id": str(uuid.uuid4()),
        "closed_on": str(date.today()),
        **SERVER_SIDE,
    }.items():
        changed = await sales.patch(
            f"/opportunities/{opportunity['id']}",
            json={name: value},
            headers=rep | {"If-Match": "*"},
        )
        assert changed.status_code == 422, (name, changed.text)
    now = (await sales.get(f"/opportunities/{opportunity['id']}", headers=rep)).json()
    assert (now["status"], now["owner_id"], now["stage"], now["version"]) == (
        "open",
        "north-rep",
        opportunity["stage"],
        opportunity["version"],
    )


async def test_cost_is_set_by_the_catalogue_keepers_only_and_hidden_from_reps(
    stack: Any, bearer: Any
) -> None:
    sales = stack.client("sales")
    rep, manager, admin = bearer("north-rep"), bearer("north-mgr"), bearer("admin")
    product = {
        "sku": f"SKU-{uuid.uuid4().hex[:6]}",
        "name": "Forklift",
        "list_price": "100.00",
        "unit_cost": "60.00",
        "currency": "EUR",
    }
    assert (await sales.post("/products", json=product, headers=rep)).status_code == 403
    made = await sales.post("/products", json=product, headers=admin)
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    for who in (rep, manager):
        cheaper = await sales.patch(
            f"/products/{pid}", json={"unit_cost": "1.00"}, headers=who | {"If-Match": "*"}
        )
        assert cheaper.status_code == 403
    seen_by_rep = (await sales.get(f"/products/{pid}", headers=rep)).json()
    assert "unit_cost" not in seen_by_rep
    assert "unit_cost" not in str((await sales.get("/products", headers=rep)).json())
    assert (await sales.get(f"/products/{pid}", headers=manager)).json()["unit_cost"] == "60.00"

    # A quote line carries no cost of the rep's choosing; the rep never sees cost or margin.
    customer = await own_customer(stack, bearer)
    line = {"product_id": pid, "quantity": "1"}
    quote = {"customer_id": customer["id"], "currency": "EUR", "lines": [line]}
    made_quote = await retrying(lambda: sales.post("/quotes", json=quote, headers=rep))
    assert made_quote.status_code == 201, made_quote.text
    line["unit_cost"] = "0.01"
    refused = await sales.post("/quotes", json=quote, headers=rep)
    assert refused.status_code == 422, refused.text
    shown = made_quote.json()
    assert not {"cost", "margin"} & set(shown)
    assert "unit_cost" not in str(shown)
    managed = (await sales.get(f"/quotes/{shown['id']}", headers=manager)).json()
    assert managed["lines"][0]["unit_cost"] == "60.00"


async def test_a_late_expense_waits_for_approval_whatever_the_body_says(
    stack: Any, bearer: Any
) -> None:
    sales, customers = stack.client("sales"), stack.client("customers")
    rep = bearer("north-rep")
    customer = await own_customer(stack, bearer)
    contact = await customers.post(
        f"/customers/{customer['id']}/contacts", json={"name": "Li Wei"}, headers=rep
    )
    body = {
        "customer_id": customer["id"],
        "contact_id": contact.json()["id"],
        "amount": "25.00",
        "currency": "EUR",
        "category": "meals",
        # Recorded days later: a manager approves it first (same-day ones count at once).
        "incurred_on": str(datetime.now(UTC).date() - timedelta(days=7)),
    }
    sneaky = await sales.post(
        "/expenses", json=body | {"status": "approved", "approved_by": "ceo"}, headers=rep
    )
    assert sneaky.status_code == 422, sneaky.text
    made = await retrying(lambda: sales.post("/expenses", json=body, headers=rep))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending_approval"


# -- service desk ------------------------------------------------------------------------------


async def test_a_portal_contact_opens_tickets_for_its_own_customer_only_and_sets_nothing_else(
    stack: Any, bearer: Any, infra: Any, tenant: str
) -> None:
    desk = stack.client("service-desk")
    mine = await own_customer(stack, bearer)
    other = await own_customer(stack, bearer, "north-rep2")
    contact = {
        "Authorization": "Bearer "
        + infra.token("contact", tenant=tenant, roles=["portal"], customer=mine["id"])
    }
    body = {"subject": "It stopped", "description": "Please help."}
    for name, value in {
        "customer_id": other["id"],
        "priority": "urgent",
        "assignee_id": "agent",
        "status": "closed",
        "channel": "phone",
        "branch_id": "south",
        **SERVER_SIDE,
    }.items():
        response = await desk.post("/portal/tickets", json=body | {name: value}, headers=contact)
        assert response.status_code == 422, (name, response.text)
    made = await retrying(lambda: desk.post("/portal/tickets", json=body, headers=contact))
    assert made.status_code == 201, made.text
    ticket = (await desk.get(f"/tickets/{made.json()['id']}", headers=bearer("admin"))).json()
    assert ticket["customer_id"] == mine["id"]
    assert (ticket["status"], ticket["priority"], ticket["channel"]) == (
        "new",
        "normal",
        "portal",
    )
    assert ticket["assignee_id"] is None
    assert ticket["branch_id"] == "north"


async def test_staff_cannot_set_a_tickets_status_or_branch_on_create(
    stack: Any, bearer: Any
) -> None:
    desk = stack.client("service-desk")
    customer = await own_customer(stack, bearer)
    body = {
        "customer_id": customer["id"],
        "subject": "Broken",
        "description": "It broke.",
        "channel": "phone",
    }
    for name, value in {"status": "closed", "branch_id": "south", **SERVER_SIDE}.items():
        response = await desk.post("/tickets", json=body | {name: value}, headers=bearer("agent"))
        assert response.status_code == 422, (name, response.text)
    reader = await retrying(lambda: desk.post("/tickets", json=body, headers=bearer("north-rep")))
    assert reader.status_code == 403, "a sales rep reads tickets, does not open them"


# -- notifications -----------------------------------------------------------------------------


async def test_a_webhook_secret_and_owner_are_the_servers_choice(stack: Any, bearer: Any) -> None:
    notifications = stack.client("notifications")
    integrator = bearer("integrator")
    body = {"url": "https://93.184.216.34/hook", "event_types": ["crm.*"]}
    for name, value in {
        "secret": "whsec_mine",
        "owner_id": "admin",
        "disabled_at": None,
        **SERVER_SIDE,
    }.items():
        response = await notifications.post(
            "/webhooks/endpoints", json=body | {name: value}, headers=integrator
        )
        assert response.status_code == 422, (name, response.text)
    made = await notifications.post("/webhooks/endpoints", json=body, headers=integrator)
    assert made.status_code == 201, made.text
    assert made.json()["secret"] != "whsec_mine"
