"""Expenses per customer: the same-day rule (000), a manager's approval for late ones, and the
events that feed customer profitability."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

TODAY = datetime.now(UTC).date()


def an_expense(customer, contact, incurred_on: date, **extra):
    return {
        "customer_id": str(customer),
        "contact_id": str(contact),
        "amount": "86.50",
        "currency": "EUR",
        "category": "meals",
        "incurred_on": incurred_on.isoformat(),
        **extra,
    }


async def test_an_expense_recorded_the_same_day_counts_and_a_late_one_waits_for_a_manager(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    contact = await customers.contact(customer)
    rep = auth("north-rep")

    same_day = await sales.post("/expenses", json=an_expense(customer, contact, TODAY), headers=rep)
    late = await sales.post(
        "/expenses", json=an_expense(customer, contact, TODAY - timedelta(days=2)), headers=rep
    )
    future = await sales.post(
        "/expenses", json=an_expense(customer, contact, TODAY + timedelta(days=1)), headers=rep
    )

    assert (same_day.status_code, same_day.json()["status"]) == (201, "approved")
    assert (late.status_code, late.json()["status"]) == (201, "pending_approval")
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["incurred_on"]
    recorded = await sales_events("crm.sales.expense.recorded.v1", expect=2)
    assert {(e.data["status"], e.data["recorded_on"]) for e in recorded} == {
        ("approved", TODAY.isoformat()),
        ("pending_approval", TODAY.isoformat()),
    }
    assert {e.partitionkey for e in recorded} == {str(customer)}


async def test_a_late_expense_is_approved_by_a_manager_but_not_by_its_recorder(
    sales, auth, customers, sales_events
):
    customer = await customers.created(owner=None)
    contact = await customers.contact(customer)
    manager = auth("north-mgr")
    late = await sales.post(
        "/expenses", json=an_expense(customer, contact, TODAY - timedelta(days=1)), headers=manager
    )
    assert late.status_code == 201, late.text
    url, etag = late.headers["location"], late.headers["etag"]

    by_rep = await sales.post(f"{url}/approve", headers={**auth("north-rep"), "If-Match": etag})
    by_recorder = await sales.post(f"{url}/approve", headers={**manager, "If-Match": etag})
    by_executive = await sales.post(f"{url}/approve", headers={**auth("ceo"), "If-Match": etag})

    assert by_rep.status_code == 403
    assert by_recorder.status_code == 403
    assert (by_executive.status_code, by_executive.json()["status"]) == (200, "approved")
    [approved] = await sales_events("crm.sales.expense.approved.v1")
    assert (approved.data["approved_by"], approved.data["amount"]) == ("ceo", "86.50")


async def test_an_expense_needs_a_contact_of_its_customer(sales, auth, customers):
    customer = await customers.created()
    other = await customers.created()
    strangers_contact = await customers.contact(other)

    wrong = await sales.post(
        "/expenses",
        json=an_expense(customer, strangers_contact, TODAY),
        headers=auth("north-rep"),
    )
    missing = await sales.post(
        "/expenses",
        json={
            k: v
            for k, v in an_expense(customer, strangers_contact, TODAY).items()
            if k != "contact_id"
        },
        headers=auth("north-rep"),
    )

    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [
        {"field": "contact_id", "message": "not a contact of this customer"}
    ]
    assert [e["field"] for e in missing.json()["errors"]] == ["contact_id"]
