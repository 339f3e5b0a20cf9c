"""Reminders: stored when their event arrives, fired by a job when due, exactly once.

The job claims due rows with `FOR UPDATE SKIP LOCKED`, tells the recipients and marks the
rows fired in one transaction: a crash before the commit leaves them pending for the next
run (on any replica, after any restart), a commit leaves them fired, never both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm_contracts import CloudEvent
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_notifications.adapters.orm import ReminderRow
from crm_notifications.bootstrap import Services
from crm_notifications.domain.rules import Rule
from crm_notifications.service_layer.notify import Trigger, apply_rule

log = get_logger(__name__)
BATCH = 200
_MOMENT = TypeAdapter(AwareDatetime)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return _MOMENT.validate_python(value)
    except ValidationError:
        return None


def reminder_key(rule: Rule, data: dict[str, Any]) -> str | None:
    """`task/<id>`: the entity the reminder is about, also the notification's subject."""
    assert rule.schedule is not None
    value = data.get(rule.schedule.key)
    return f"{rule.schedule.key.removesuffix('_id')}/{value}" if value else None


async def schedule(session: AsyncSession, rule: Rule, event: CloudEvent) -> None:
    """Store (or move) the reminder `rule` keeps for the entity of `event`."""
    assert rule.schedule is not None
    key = reminder_key(rule, event.data)
    due = _moment(event.data.get(rule.schedule.at))
    if due is None and rule.schedule.default_at:
        due = _moment(event.data.get(rule.schedule.default_at))
    if key is None or due is None:
        log.warning("reminder_without_time", rule=rule.key, event_id=str(event.id))
        return
    table = ReminderRow.__table__
    statement = insert(ReminderRow).values(
        id=uuid.uuid4(),
        tenant_id=event.tenantid,
        rule=rule.key,
        key=key,
        due_at=due,
        status="pending",
        data=event.data,
        event_id=event.id,
        event_type=event.type,
        branch_id=event.branchid,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "rule", "key"],
            set_={
                "due_at": statement.excluded.due_at,
                "data": table.c.data.op("||")(statement.excluded.data),
                # A new time re-arms a reminder that already fired or was cancelled.
                "status": text(
                    "CASE WHEN reminders.due_at = excluded.due_at THEN reminders.status"
                    " ELSE 'pending' END"
                ),
                "event_id": statement.excluded.event_id,
                "event_type": statement.excluded.event_type,
                "updated_at": text("now()"),
            },
        )
    )


async def touch(session: AsyncSession, rule: Rule, event: CloudEvent) -> None:
    """A later event about the entity: merge what it says, or cancel the reminder."""
    assert rule.schedule is not None
    key = reminder_key(rule, event.data)
    if key is None:
        return
    where = (
        ReminderRow.tenant_id == event.tenantid,
        ReminderRow.rule == rule.key,
        ReminderRow.key == key,
    )
    if event.type in rule.schedule.cancel_on:
        await session.execute(
            update(ReminderRow)
            .where(*where, ReminderRow.status == "pending")
            .values(status="cancelled", updated_at=text("now()"))
        )
    else:
        await session.execute(
            update(ReminderRow)
            .where(*where)
            .values(data=ReminderRow.data.op("||")(event.data), updated_at=text("now()"))
        )


async def fire_due(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """Tell the recipients of every reminder due by `now`; returns how many fired."""
    fired = 0
    while True:
        async with UnitOfWork(sessions) as uow:
            due = list(
                await uow.session.scalars(
                    select(ReminderRow)
                    .where(ReminderRow.status == "pending", ReminderRow.due_at <= now)
                    .order_by(ReminderRow.due_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            for reminder in due:
                rule = services.rules.get(reminder.rule)
                if rule is not None:
                    trigger = Trigger(
                        event_id=reminder.event_id,
                        event_type=reminder.event_type,
                        subject=reminder.key,
                        time=reminder.due_at.isoformat(),
                        tenant=reminder.tenant_id,
                        branch=reminder.branch_id,
                        data=reminder.data,
                    )
                    dedupe = f"{rule.key}:{reminder.key}@{reminder.due_at.isoformat()}"
                    await apply_rule(uow, services, rule, trigger, dedupe=dedupe, now=now)
                reminder.status, reminder.fired_at = "fired", now
            await uow.commit()
        fired += len(due)
        if len(due) < BATCH:
            return fired
