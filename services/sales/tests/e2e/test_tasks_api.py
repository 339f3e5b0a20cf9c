"""Tasks and the calendar: managers assign and see reps' plans; overdue tasks are listed and
remind once a day through the overdue job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_sales.service_layer.jobs import OVERDUE_TASKS

OVERDUE = "crm.sales.task.overdue.v1"


def a_task(customer, start: datetime, **extra):
    return {
        "customer_id": str(customer),
        "subject": "Present the fleet offer",
        "method": "visit",
        "start_at": start.isoformat(),
        "duration_minutes": 60,
        **extra,
    }


async def plan(sales, auth, body, user="north-rep"):
    response = await sales.post("/tasks", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    return response


async def test_overdue_tasks_are_listed_and_remind_once_a_day(
    sales, auth, customers, app, sales_events
):
    customer = await customers.created()
    now = datetime.now(UTC)
    late = await plan(sales, auth, a_task(customer, now - timedelta(hours=3)))
    done = await plan(sales, auth, a_task(customer, now - timedelta(hours=3)))
    await plan(sales, auth, a_task(customer, now + timedelta(days=2)))
    completed = await sales.post(
        f"{done.headers['location']}/complete",
        json={"outcome": "asked for a quote"},
        headers={**auth("north-rep"), "If-Match": done.headers["etag"]},
    )
    assert completed.status_code == 200, completed.text

    listed = await sales.get(
        "/tasks",
        params={"overdue": "true", "customer_id": str(customer)},
        headers=auth("north-rep"),
    )
    scheduler = app.state.runtime.scheduler
    await scheduler.run_once(OVERDUE_TASKS, now=now)
    await scheduler.run_once(OVERDUE_TASKS, now=now + timedelta(minutes=5))

    assert [t["id"] for t in listed.json()["items"]] == [late.json()["id"]]
    [first] = await sales_events(OVERDUE, settle_s=0.5)
    assert first.data["task_id"] == late.json()["id"]
    assert (first.data["assignee_id"], first.data["days_overdue"]) == ("north-rep", 0)

    await scheduler.run_once(OVERDUE_TASKS, now=now + timedelta(days=1))

    reminders = await sales_events(OVERDUE, expect=2, settle_s=0.3)
    assert [e.data["days_overdue"] for e in reminders] == [0, 1]
    assert [e.data["task_id"] for e in reminders] == [late.json()["id"]] * 2


async def test_a_manager_assigns_a_task_and_sees_the_reps_week(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    monday = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    assigned = await plan(
        sales,
        auth,
        a_task(customer, monday + timedelta(days=2), assignee_id="north-rep"),
        user="north-mgr",
    )
    await plan(sales, auth, a_task(customer, monday))
    await plan(sales, auth, a_task(customer, monday + timedelta(days=7)))  # the week after

    week = {"from": "2026-03-16", "to": "2026-03-22"}
    as_rep = await sales.get("/calendar", params=week, headers=auth("north-rep"))
    as_manager = await sales.get(
        "/calendar", params={**week, "user": "north-rep"}, headers=auth("north-mgr")
    )
    others = await sales.get(
        "/calendar", params={**week, "user": "north-rep"}, headers=auth("north-rep2")
    )

    assert as_rep.status_code == 200, as_rep.text
    days = as_rep.json()["days"]
    assert [d["date"] for d in days][0::6] == ["2026-03-16", "2026-03-22"]
    assert [len(d["tasks"]) for d in days] == [1, 0, 1, 0, 0, 0, 0]
    assert days[2]["tasks"][0]["id"] == assigned.json()["id"]
    assert as_manager.json() == as_rep.json()
    assert others.status_code == 403
    created = await sales_events("crm.sales.task.created.v1", expect=3)
    assert {(e.data["assignee_id"], e.data["created_by"]) for e in created} == {
        ("north-rep", "north-mgr"),
        ("north-rep", "north-rep"),
    }


async def test_a_rep_plans_only_for_themself(sales, auth, customers):
    customer = await customers.created()

    response = await sales.post(
        "/tasks",
        json=a_task(customer, datetime.now(UTC), assignee_id="north-rep2"),
        headers=auth("north-rep"),
    )

    assert response.status_code == 403


async def test_rescheduling_and_reassigning_publish_what_changed(
    sales, auth, customers, sales_events
):
    customer = await customers.created()
    start = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    task = await plan(
        sales,
        auth,
        a_task(customer, start, reminder_at=(start - timedelta(minutes=30)).isoformat()),
    )
    moved = await sales.post(
        f"{task.headers['location']}/reschedule",
        json={"start_at": (start + timedelta(days=1)).isoformat()},
        headers={**auth("north-rep"), "If-Match": task.headers["etag"]},
    )
    by_rep = await sales.post(
        f"{task.headers['location']}/assign",
        json={"assignee_id": "north-rep2"},
        headers={**auth("north-rep"), "If-Match": moved.headers["etag"]},
    )
    reassigned = await sales.post(
        f"{task.headers['location']}/assign",
        json={"assignee_id": "north-rep2"},
        headers={**auth("north-mgr"), "If-Match": moved.headers["etag"]},
    )

    assert moved.json()["reminder_at"] == "2026-03-17T08:30:00Z"
    assert by_rep.status_code == 403
    assert reassigned.json()["assignee_id"] == "north-rep2"
    [rescheduled] = await sales_events("crm.sales.task.rescheduled.v1")
    assert (rescheduled.data["old_start_at"], rescheduled.data["start_at"]) == (
        "2026-03-16T09:00:00Z",
        "2026-03-17T09:00:00Z",
    )
    [handed_over] = await sales_events("crm.sales.task.reassigned.v1")
    assert (handed_over.data["old_assignee_id"], handed_over.data["assignee_id"]) == (
        "north-rep",
        "north-rep2",
    )
