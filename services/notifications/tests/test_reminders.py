"""Reminders reach the inbox and the mailbox at their time, once, across restarts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crm_contracts import NOTIFICATIONS_EVENTS
from crm_contracts.sales import TaskCompletedV1, TaskCreatedV1, TaskRescheduledV1
from crm_notifications.adapters.orm import ReminderRow
from crm_notifications.app import MIGRATIONS, create_app
from crm_notifications.service_layer import mail
from crm_notifications.service_layer.jobs import MAIL, REMINDERS
from servicekit.testing import read_events, running_service
from sqlalchemy import select


def a_task(reminder_at: datetime, *, task_id: uuid.UUID | None = None) -> TaskCreatedV1:
    return TaskCreatedV1(
        task_id=task_id or uuid.uuid4(),
        customer_id=uuid.uuid4(),
        subject="Present the fleet offer",
        method="visit",
        start_at=reminder_at + timedelta(hours=1),
        duration_minutes=90,
        assignee_id="north-rep",
        reminder_at=reminder_at,
        contact_id=None,
        opportunity_id=None,
        created_by="north-mgr",
    )


async def stored_reminder(app, tenant: str) -> ReminderRow | None:  # type: ignore[no-untyped-def]
    async with app.state.runtime.session_factory() as session:
        return await session.scalar(select(ReminderRow).where(ReminderRow.tenant_id == tenant))


async def test_a_reminder_reaches_the_inbox_and_the_mailbox_at_its_time(
    api, app, auth, tenant, directory, publish, run_job, inbox, smtp, infra, address, eventually
):
    await directory("north-rep")
    await api.put(
        "/settings", json={"mail_from": f"Acme CRM <crm@{tenant}.test>"}, headers=auth("admin")
    )
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    task = a_task(at)
    await publish(task)
    await eventually(lambda: stored_reminder(app, tenant), what="the reminder stored")

    await run_job(REMINDERS, at - timedelta(seconds=1))
    await run_job(MAIL, at - timedelta(seconds=1))
    assert await inbox("north-rep") == []
    assert smtp.to(address("north-rep")) == []

    await run_job(REMINDERS, at)
    [item] = await inbox("north-rep")
    assert item["title"].startswith("Reminder: Present the fleet offer")
    assert item["rule"] == "task.reminder"
    assert item["subject"] == f"task/{task.task_id}"

    await run_job(MAIL, at)
    [message] = smtp.to(address("north-rep"))
    assert message["Subject"] == item["title"]
    assert message["From"] == f"Acme CRM <crm@{tenant}.test>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Present the fleet offer" in text
    assert "<p>" in html
    assert "Present the fleet offer" in html

    sent = await read_events(
        infra.bootstrap,
        NOTIFICATIONS_EVENTS,
        expect=2,
        where=lambda e: e.tenantid == tenant,
    )
    assert sorted(e.type for e in sent) == [
        "crm.notifications.email.sent.v1",
        "crm.notifications.notification.delivered.v1",
    ]


async def test_a_rescheduled_task_reminds_at_the_new_time_and_a_done_one_not_at_all(
    api, app, tenant, publish, run_job, inbox, eventually
):
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    moved, done = a_task(at), a_task(at)
    await publish(moved)
    await publish(
        TaskRescheduledV1(
            task_id=moved.task_id,
            customer_id=moved.customer_id,
            old_start_at=moved.start_at,
            start_at=moved.start_at + timedelta(days=1),
            old_duration_minutes=90,
            duration_minutes=90,
            reminder_at=at + timedelta(days=1),
            assignee_id="north-rep",
            rescheduled_by="north-rep",
        ),
        key=str(moved.customer_id),
    )
    await publish(done)
    await publish(
        TaskCompletedV1(
            task_id=done.task_id,
            customer_id=done.customer_id,
            assignee_id="north-rep",
            method="visit",
            completed_at=at - timedelta(minutes=5),
            outcome="done early",
            completed_by="north-rep",
        ),
        key=str(done.customer_id),
    )

    async def settled() -> bool:
        async with app.state.runtime.session_factory() as session:
            rows = (
                await session.scalars(select(ReminderRow).where(ReminderRow.tenant_id == tenant))
            ).all()
        return sorted((r.status, r.due_at) for r in rows) == [
            ("cancelled", at),
            ("pending", at + timedelta(days=1)),
        ]

    await eventually(settled, what="one reminder moved, one cancelled")
    await run_job(REMINDERS, at + timedelta(hours=1))
    assert await inbox("north-rep") == []
    await run_job(REMINDERS, at + timedelta(days=1))
    assert len(await inbox("north-rep")) == 1


async def test_a_restart_between_scheduling_and_sending_neither_loses_nor_duplicates_it(
    infra, tenant, smtp, auth, run_job, publish, address, eventually, make_settings
):
    url = await infra.migrated_database("notifications", MIGRATIONS)
    settings = make_settings(url)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    to = address("north-rep")

    # First life: the event arrives and the reminder is stored; then the process stops.
    async with running_service(create_app, settings) as (first, client):
        await client.put(
            "/users/north-rep", json={"email": to, "branch_id": "north"}, headers=auth("admin")
        )
        await publish(a_task(at))
        await eventually(
            lambda: stored_reminder(first, tenant), within=30, what="the reminder stored"
        )

    # Second life: it fires the reminder, then dies holding the e-mail it was about to send.
    quiet = settings.model_copy(update={"run_consumer": False})
    async with running_service(create_app, quiet) as (second, client):
        await run_job(REMINDERS, at, on=second)
        await run_job(REMINDERS, at + timedelta(minutes=1), on=second)
        assert (await client.get("/inbox", headers=auth("north-rep"))).json()["total"] == 1
        claimed = await mail._claim(second.state.runtime.session_factory, second.state.services, at)
        assert to in [m.to_address for m in claimed]

    # Third life: the lease runs out and the e-mail goes, once.
    async with running_service(create_app, quiet) as (third, client):
        await run_job(MAIL, at + timedelta(seconds=1), on=third)
        assert smtp.to(to) == []  # still leased by the second life
        later = at + timedelta(minutes=10)
        await run_job(MAIL, later, on=third)
        await run_job(MAIL, later + timedelta(hours=1), on=third)
        await run_job(REMINDERS, later + timedelta(days=1), on=third)
        inbox = (await client.get("/inbox", headers=auth("north-rep"))).json()

    assert inbox["total"] == 1
    assert len(smtp.to(to)) == 1
