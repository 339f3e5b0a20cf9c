"""Tasks: due time, overdue reminders once per tenant day, rescheduling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from crm_contracts.sales import TaskMethod
from crm_sales.domain import events
from crm_sales.domain.errors import DomainError, StateConflict
from crm_sales.domain.tasks import Task

START = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def a_task(**values: object) -> Task:
    fields: dict[str, object] = {
        "tenant_id": "acme",
        "customer_id": uuid4(),
        "subject": "Present the offer",
        "method": TaskMethod.VISIT,
        "start_at": START,
        "duration_minutes": 90,
        "assignee_id": "north-rep",
        **values,
    }
    return Task.plan(created_by="north-mgr", **fields)


def test_a_task_is_overdue_once_its_end_has_passed_and_it_is_not_done() -> None:
    task = a_task()

    assert task.due_at == START + timedelta(minutes=90)
    assert not task.is_overdue(START + timedelta(minutes=90))
    assert task.is_overdue(START + timedelta(minutes=91))
    task.complete(by="north-rep", now=START, outcome="done")
    assert not task.is_overdue(START + timedelta(days=3))


def test_an_overdue_task_reminds_once_per_tenant_day_and_again_the_next_day() -> None:
    task = a_task()
    late = START + timedelta(hours=3)

    assert task.remind_if_overdue(now=late, timezone="Asia/Shanghai")
    assert not task.remind_if_overdue(now=late + timedelta(hours=5), timezone="Asia/Shanghai")
    assert task.remind_if_overdue(now=late + timedelta(days=1), timezone="Asia/Shanghai")

    assert [r.event for r in task.events[1:]] == [
        events.Overdue(overdue_on=date(2026, 3, 16), days_overdue=0),
        events.Overdue(overdue_on=date(2026, 3, 17), days_overdue=1),
    ]


def test_the_day_of_an_overdue_reminder_is_the_tenants_day_not_utcs() -> None:
    task = a_task()
    # 17:00 UTC on the 16th is already the 17th in Shanghai.
    evening = datetime(2026, 3, 16, 17, 0, tzinfo=UTC)

    task.remind_if_overdue(now=datetime(2026, 3, 16, 5, 0, tzinfo=UTC), timezone="Asia/Shanghai")

    assert task.remind_if_overdue(now=evening, timezone="Asia/Shanghai")
    assert task.overdue_notified_on == date(2026, 3, 17)


def test_rescheduling_moves_the_reminder_with_the_task_and_remembers_the_old_time() -> None:
    task = a_task(reminder_at=START - timedelta(hours=1))
    task.remind_if_overdue(now=START + timedelta(hours=2), timezone="UTC")

    task.reschedule(
        start_at=START + timedelta(days=1), duration_minutes=None, reminder_at=None, by="x"
    )

    assert task.reminder_at == START + timedelta(days=1, hours=-1)
    assert task.overdue_notified_on is None
    assert task.events[-1].event == events.Rescheduled(
        old_start_at=START, old_duration_minutes=90, rescheduled_by="x"
    )


def test_a_reminder_after_the_start_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        a_task(reminder_at=START + timedelta(minutes=1))
    assert refused.value.field == "reminder_at"


def test_a_completed_task_cannot_be_moved_or_completed_again() -> None:
    task = a_task()
    task.complete(by="north-rep", now=START, outcome=None)

    with pytest.raises(StateConflict):
        task.reschedule(start_at=START, duration_minutes=30, reminder_at=None, by="x")
    with pytest.raises(StateConflict):
        task.complete(by="north-rep", now=START, outcome=None)
