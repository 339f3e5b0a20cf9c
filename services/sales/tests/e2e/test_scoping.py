"""The customers' access rules hold for every sales record: own, branch, all; anything out of
scope is a 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
async def north_records(sales, auth, customers):
    """One record of each kind about a customer of north-rep (branch north)."""
    customer = await customers.created(owner="north-rep")
    contact = await customers.contact(customer)
    rep = auth("north-rep")
    urls = []
    for path, body in [
        (
            "/opportunities",
            {
                "name": "Fleet",
                "amount": "1",
                "currency": "EUR",
                "expected_close_date": "2026-06-30",
            },
        ),
        ("/contracts", {"name": "Rental", "start_date": "2026-01-01", "end_date": "2026-12-31"}),
        (
            "/tasks",
            {
                "subject": "Call",
                "method": "call",
                "start_at": "2026-03-16T09:00:00+00:00",
                "duration_minutes": 15,
            },
        ),
        (
            "/expenses",
            {
                "contact_id": str(contact),
                "amount": "9.90",
                "currency": "EUR",
                "category": "meals",
                "incurred_on": datetime.now(UTC).date().isoformat(),
            },
        ),
    ]:
        response = await sales.post(path, json={**body, "customer_id": str(customer)}, headers=rep)
        assert response.status_code == 201, response.text
        urls.append(response.headers["location"])
    return urls


LISTS = ["/opportunities", "/contracts", "/tasks", "/expenses"]


@pytest.mark.parametrize("user", ["south-rep", "north-rep2"])
async def test_reps_see_nothing_of_customers_they_do_not_own(sales, auth, north_records, user):
    for url in north_records:
        response = await sales.get(url, headers=auth(user))
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
    for path in LISTS:
        assert (await sales.get(path, headers=auth(user))).json()["total"] == 0, path


async def test_a_branch_manager_sees_the_branch_and_another_branchs_manager_does_not(
    sales, auth, north_records
):
    south_mgr = auth("south-mgr", roles=["branch_manager"], branch="south")

    for path in LISTS:
        assert (await sales.get(path, headers=auth("north-mgr"))).json()["total"] == 1, path
        assert (await sales.get(path, headers=south_mgr)).json()["total"] == 0, path
    for url in north_records:
        assert (await sales.get(url, headers=south_mgr)).status_code == 404


async def test_executives_see_every_branch_and_other_tenants_see_nothing(
    sales, auth, infra, north_records
):
    stranger = {"Authorization": f"Bearer {infra.token('ceo', tenant='another-company')}"}

    for url in north_records:
        assert (await sales.get(url, headers=auth("ceo"))).status_code == 200
        assert (await sales.get(url, headers=stranger)).status_code == 404


async def test_a_rep_cannot_change_a_record_outside_their_scope(sales, auth, north_records):
    opportunity = north_records[0]

    response = await sales.post(
        f"{opportunity}/win", headers={**auth("south-rep"), "If-Match": "*"}
    )

    assert response.status_code == 404


async def test_portal_contacts_have_no_access_to_sales(sales, auth):
    portal = auth("contact-1", roles=["portal"], customer="3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41")

    assert (await sales.get("/opportunities", headers=portal)).status_code == 403
