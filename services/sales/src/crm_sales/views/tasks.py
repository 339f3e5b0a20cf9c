"""Read side of tasks and the calendar."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from servicekit.auth import Principal
from servicekit.paging import Page, PageParams
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters.orm import TaskRow
from crm_sales.adapters.repository import ConfigurationRepository
from crm_sales.domain.tasks import TaskStatus
from crm_sales.entrypoints.api.schemas.tasks import Calendar, CalendarDay, TaskRead
from crm_sales.views.common import one, page, records, where

ROW = TaskRow


@dataclass(frozen=True)
class TaskFilter:
    assignee_id: str | None = None
    customer_id: UUID | None = None
    opportunity_id: UUID | None = None
    status: TaskStatus | None = None
    overdue_at: datetime | None = None  # open tasks that were due before this moment
    starts_from: datetime | None = None
    starts_before: datetime | None = None


async def task(session: AsyncSession, principal: Principal, task_id: UUID) -> TaskRead:
    return await one(session, records(ROW, principal), ROW, task_id, TaskRead, "task")


async def tasks(
    session: AsyncSession, principal: Principal, params: PageParams, f: TaskFilter
) -> Page[TaskRead]:
    query = where(
        records(ROW, principal),
        {
            ROW.assignee_id: f.assignee_id,
            ROW.customer_id: f.customer_id,
            ROW.opportunity_id: f.opportunity_id,
            ROW.status: f.status,
        },
    )
    if f.overdue_at is not None:
        query = query.where(ROW.status == TaskStatus.OPEN, ROW.due_at < f.overdue_at)
    if f.starts_from is not None:
        query = query.where(ROW.start_at >= f.starts_from)
    if f.starts_before is not None:
        query = query.where(ROW.start_at < f.starts_before)
    return await page(
        session,
        query,
        params,
        TaskRead,
        sortable={
            "start_at": ROW.start_at,
            "due_at": ROW.due_at,
            "created_at": ROW.created_at,
            "subject": ROW.subject,
        },
        default=[ROW.start_at],
        tiebreak=ROW.id,
    )


async def calendar(
    session: AsyncSession, principal: Principal, *, user: str, first: date, last: date
) -> Calendar:
    """`user`'s tasks from `first` to `last` (inclusive), by day in the company's timezone."""
    zone_name = (await ConfigurationRepository(session).get(principal.tenant)).timezone
    zone = ZoneInfo(zone_name)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    query = records(ROW, principal).where(
        ROW.assignee_id == user, ROW.start_at >= start, ROW.start_at < end
    )
    by_day: dict[date, list[TaskRead]] = defaultdict(list)
    for row in await session.scalars(query.order_by(ROW.start_at, ROW.id)):
        by_day[row.start_at.astimezone(zone).date()].append(TaskRead.model_validate(row))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return Calendar(
        user=user,
        timezone=zone_name,
        days=[CalendarDay(date=day, tasks=by_day[day]) for day in days],
    )
