"""Scheduled jobs: subscription expiry and overdue tasks.

Both run on every replica (one wins each tick), take `now` from the scheduler and work in
batches, each its own transaction. They are idempotent: the aggregates only change state
(and publish) once per subscription, once per task and tenant day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from servicekit.scheduler import ScheduledJob
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_sales.domain.base import Aggregate, business_day
from crm_sales.domain.subscriptions import Contract
from crm_sales.domain.tasks import Task
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork

BATCH = 200
A = TypeVar("A", bound=Aggregate)


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession],
    candidates: Callable[[SalesUnitOfWork, UUID | None], Awaitable[Sequence[A]]],
    apply: Callable[[SalesUnitOfWork, A], Awaitable[bool]],
) -> int:
    """Walk the candidates by id (so one that is left unchanged is not picked up again)."""
    handled, after = 0, None
    while True:
        async with SalesUnitOfWork(sessions) as uow:
            batch = await candidates(uow, after)
            for record in batch:
                handled += await apply(uow, record)
            await uow.commit()
        if len(batch) < BATCH:
            return handled
        after = batch[-1].id


async def review_subscriptions(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Flag contracts nearing their end (once) and mark ended, unrenewed ones not renewed."""

    async def apply(uow: SalesUnitOfWork, contract: Contract) -> bool:
        config = await uow.configuration.get(contract.tenant_id)
        return contract.review(
            today=business_day(now, config.timezone), days_ahead=config.expiring_days_ahead
        )

    return await _in_batches(
        sessions, lambda uow, after: uow.contracts.due_for_review(now, after, BATCH), apply
    )


async def remind_overdue_tasks(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """An event for each task past its end and not done, once per task and tenant day."""

    async def apply(uow: SalesUnitOfWork, task: Task) -> bool:
        config = await uow.configuration.get(task.tenant_id)
        return task.remind_if_overdue(now=now, timezone=config.timezone)

    return await _in_batches(
        sessions, lambda uow, after: uow.tasks.overdue_to_remind(now, after, BATCH), apply
    )


SUBSCRIPTION_EXPIRY = ScheduledJob("sales-subscription-expiry", 3600, review_subscriptions)
OVERDUE_TASKS = ScheduledJob("sales-overdue-tasks", 300, remind_overdue_tasks)
JOBS = (SUBSCRIPTION_EXPIRY, OVERDUE_TASKS)
