"""The status machine and SLA deadlines over HTTP, and the jobs that supervise them."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_service_desk.service_layer.jobs import AUTO_CLOSE, SLA_SUPERVISOR


def due(ticket: dict, clock: str = "resolution") -> datetime:
    return datetime.fromisoformat(ticket[clock]["due_at"])


async def move(desk, auth, ticket: dict, status: str, user: str = "agent", **extra) -> dict:
    response = await desk.post(
        f"/tickets/{ticket['id']}/status",
        json={"status": status, **extra},
        headers={**auth(user), "If-Match": f'"{ticket["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_ticket_walks_the_status_machine_and_refuses_shortcuts(
    desk, auth, customers, open_ticket, published
):
    ticket = await open_ticket(await customers.customer())
    for status in ("open", "pending", "open", "resolved", "closed"):
        ticket = await move(desk, auth, ticket, status)
        assert ticket["status"] == status
    assert ticket["resolved_at"] is not None
    assert ticket["closed_at"] is not None

    fresh = await open_ticket(ticket["customer_id"])
    refused = await desk.post(
        f"/tickets/{fresh['id']}/status",
        json={"status": "closed"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    assert refused.status_code == 409
    assert "cannot become closed" in refused.json()["detail"]

    changes = await published("ticket.status_changed.v1", expect=5)
    mine = [e for e in changes if e.data["ticket_id"] == ticket["id"]]
    assert [(e.data["old_status"], e.data["new_status"]) for e in mine] == [
        ("new", "open"),
        ("open", "pending"),
        ("pending", "open"),
        ("open", "resolved"),
        ("resolved", "closed"),
    ]
    assert [e.sequence for e in mine] == [2, 3, 4, 5, 6]


async def test_deadlines_count_business_hours_from_friday_evening_to_monday(
    desk, auth, customers, open_ticket, clock, at
):
    clock.now = at(27, 17)  # Friday 17:00; the branch works Mon-Fri 09:00-18:00
    ticket = await open_ticket(await customers.customer(), priority="urgent")  # 30 min / 4 h
    assert due(ticket, "first_response") == at(27, 17, 30)
    assert due(ticket) == at(30, 12)


async def test_pending_on_the_customer_stops_the_clock_over_the_weekend(
    desk, auth, customers, open_ticket, clock, at, published
):
    clock.now = at(27, 16)
    ticket = await open_ticket(await customers.customer(), priority="urgent")
    assert due(ticket) == at(30, 11)
    clock.now = at(27, 17)  # one hour used
    ticket = await move(desk, auth, ticket, "pending")
    assert ticket["resolution"] == {
        "due_at": None,
        "met_at": None,
        "paused": True,
        "warned": False,
        "breached": False,
    }
    clock.now = at(30, 10)  # the customer answers on Monday
    ticket = await move(desk, auth, ticket, "open")
    assert due(ticket) == at(30, 13)  # three hours left

    [resumed] = [
        e
        for e in await published("ticket.status_changed.v1", expect=2)
        if e.data["new_status"] == "open"
    ]
    assert datetime.fromisoformat(resumed.data["resolution_due"]) == at(30, 13)


async def test_a_priority_change_recomputes_the_deadlines(
    desk, auth, customers, open_ticket, at, published
):
    ticket = await open_ticket(await customers.customer(), priority="low")  # Monday 10:00
    response = await desk.patch(
        f"/tickets/{ticket['id']}",
        json={"priority": "urgent"},
        headers={**auth("agent"), "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert due(response.json(), "first_response") == at(23, 10, 30)
    assert due(response.json()) == at(23, 14)
    [event] = await published("ticket.priority_changed.v1")
    assert (event.data["old_priority"], event.data["new_priority"]) == ("low", "urgent")
    assert datetime.fromisoformat(event.data["resolution_due"]) == at(23, 14)


async def test_the_sla_job_warns_then_breaches_and_escalates_once_each(
    desk, auth, customers, open_ticket, runtime, at, published
):
    ticket = await open_ticket(await customers.customer(), priority="urgent", assignee_id="agent")
    # The job serves every tenant of the database: what matters is what this tenant gets.
    for minute in (1, 2, 31, 32):  # warning due 10:00, first response due 10:30
        await runtime.scheduler.run_once(SLA_SUPERVISOR, now=at(23, 10, minute))
    await runtime.scheduler.run_once(SLA_SUPERVISOR, now=at(23, 14))  # resolution due 14:00

    warnings = await published("ticket.sla_warning.v1")
    assert [(e.data["clock"], e.data["assignee_id"]) for e in warnings] == [
        ("first_response", "agent")
    ]
    breaches = await published("ticket.sla_breached.v1", expect=2)
    assert [e.data["clock"] for e in breaches] == ["first_response", "resolution"]
    escalations = await published("ticket.escalated.v1", expect=2)
    assert {(e.data["to_role"], e.data["branch_id"]) for e in escalations} == {
        ("branch_manager", "north")
    }
    assert [e.partitionkey for e in escalations] == [ticket["customer_id"]] * 2

    escalated = (await desk.get("/tickets?escalated=true", headers=auth("north-mgr"))).json()
    assert [t["id"] for t in escalated["items"]] == [ticket["id"]]
    assert escalated["items"][0]["resolution"]["breached"] is True


async def test_a_paused_or_answered_ticket_is_not_breached(
    desk, auth, customers, open_ticket, runtime, clock, at, published
):
    customer = await customers.customer()
    answered = await open_ticket(customer, priority="urgent")
    reply = await desk.post(
        f"/tickets/{answered['id']}/comments", json={"body": "On it"}, headers=auth("agent")
    )
    assert reply.status_code == 201
    waiting = await open_ticket(customer, priority="urgent")
    await move(desk, auth, waiting, "pending")

    await runtime.scheduler.run_once(SLA_SUPERVISOR, now=at(23, 10, 45))
    breaches = await published("ticket.sla_breached.v1", expect=0, settle_s=1.0)
    assert breaches == []
    current = (await desk.get(f"/tickets/{answered['id']}", headers=auth("agent"))).json()
    assert current["status"] == "open"  # the first public reply opened it
    assert current["first_response"]["met_at"] is not None


async def test_a_resolved_ticket_reopens_within_the_window_and_then_closes_by_itself(
    desk, auth, customers, open_ticket, runtime, clock, published
):
    customer = await customers.customer()
    ticket = await move(desk, auth, await open_ticket(customer), "resolved")
    clock.advance(days=6)
    reopened = await move(desk, auth, ticket, "open", reason="still broken")
    assert (reopened["status"], reopened["resolved_at"]) == ("open", None)
    assert reopened["resolution"]["due_at"] is not None

    late = await move(desk, auth, await open_ticket(customer), "resolved")
    clock.advance(days=8)
    refused = await desk.post(
        f"/tickets/{late['id']}/status",
        json={"status": "open"},
        headers={**auth("agent"), "If-Match": f'"{late["version"]}"'},
    )
    assert refused.status_code == 409
    assert "no longer be reopened" in refused.json()["detail"]

    await runtime.scheduler.run_once(AUTO_CLOSE, now=clock.now)
    after = (await desk.get(f"/tickets/{late['id']}", headers=auth("agent"))).json()
    assert (after["status"], after["version"]) == ("closed", late["version"] + 1)
    still_open = (await desk.get(f"/tickets/{ticket['id']}", headers=auth("agent"))).json()
    assert still_open["status"] == "open"
    await runtime.scheduler.run_once(AUTO_CLOSE, now=clock.now + timedelta(days=30))
    assert (await desk.get(f"/tickets/{late['id']}", headers=auth("agent"))).json() == after
    [closing] = [
        e
        for e in await published("ticket.status_changed.v1", expect=4)
        if e.data["new_status"] == "closed"
    ]
    assert closing.data["changed_by"] == "system"
