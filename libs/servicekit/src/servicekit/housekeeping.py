"""Housekeeping every service database needs: published outbox rows past their retention
(kept until then so a topic can be republished) and old Idempotency-Keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.scheduler import ScheduledJob
from servicekit.tables import idempotency_keys, outbox

# A day covers any sane client retry policy.
IDEMPOTENCY_KEY_TTL = timedelta(days=1)


def housekeeping_job(outbox_retention: timedelta) -> ScheduledJob:
    async def clean(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
        async with sessions() as session, session.begin():
            rows = await session.execute(
                delete(outbox).where(outbox.c.published_at < now - outbox_retention)
            )
            keys = await session.execute(
                delete(idempotency_keys).where(
                    idempotency_keys.c.created_at < now - IDEMPOTENCY_KEY_TTL
                )
            )
        return int(rows.rowcount or 0) + int(keys.rowcount or 0)  # type: ignore[attr-defined]

    return ScheduledJob("platform-housekeeping", interval_s=600, run=clean)
