"""Scheduled jobs: each takes `now`, so tests drive them with any clock; one replica runs
each tick (advisory lock), and every job is safe to run again after dying half-way."""

from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.scheduler import ScheduledJob
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_notifications.adapters.orm import OutgoingMailRow, WebhookAttemptRow
from crm_notifications.bootstrap import Services
from crm_notifications.service_layer import feed, mail, reminders, webhooks

REMINDERS = "notifications-reminders"
MAIL = "notifications-mail"
WEBHOOKS = "notifications-webhooks"
RETENTION = "notifications-retention"
# Sent mail and delivery attempts stay readable in the logs this long.
LOG_RETENTION = timedelta(days=30)


async def _retention(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    deleted = await feed.purge(sessions, now, timedelta(days=services.settings.feed_retention_days))
    async with sessions() as session, session.begin():
        await session.execute(
            delete(OutgoingMailRow).where(
                OutgoingMailRow.status.in_(("sent", "cancelled")),
                OutgoingMailRow.created_at < now - LOG_RETENTION,
            )
        )
        await session.execute(
            delete(WebhookAttemptRow).where(WebhookAttemptRow.attempted_at < now - LOG_RETENTION)
        )
    return deleted


def build_jobs(services: Services) -> list[ScheduledJob]:
    s = services.settings

    async def fire(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
        return await reminders.fire_due(sessions, services, now)

    async def send(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
        return await mail.send_due(sessions, services, now)

    async def deliver(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
        return await webhooks.deliver_due(sessions, services, now)

    async def retain(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
        return await _retention(sessions, services, now)

    return [
        ScheduledJob(REMINDERS, interval_s=s.reminder_interval_s, run=fire),
        ScheduledJob(MAIL, interval_s=s.mail_interval_s, run=send),
        ScheduledJob(WEBHOOKS, interval_s=s.webhook_interval_s, run=deliver),
        ScheduledJob(RETENTION, interval_s=3600, run=retain),
    ]
