"""Scheduled jobs: one replica runs each tick, with the time it is given."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from servicekit.scheduler import JobScheduler, ScheduledJob
from sqlalchemy import text


async def test_two_replicas_ticking_together_run_the_job_once(platform_db):
    started = asyncio.Event()
    release = asyncio.Event()
    seen: list[datetime] = []

    async def slow_job(sessions, now: datetime) -> int:
        seen.append(now)
        started.set()
        await release.wait()
        return 1

    job = ScheduledJob("probe-slow", 60, slow_job)
    first = JobScheduler([job], platform_db.sessions)
    second = JobScheduler([job], platform_db.sessions)
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    running = asyncio.create_task(first.run_once(job, now=at))
    await started.wait()
    assert await second.run_once(job, now=at) is None  # the other replica holds the lock
    release.set()
    assert await running == 1
    assert seen == [at]
    # The lock is released afterwards: the next tick runs.
    assert await second.run_once(job, now=at) == 1


async def test_a_job_sees_the_time_it_is_given_and_writes_through_sessions(platform_db):
    async def stamp(sessions, now: datetime) -> int:
        async with sessions() as session, session.begin():
            await session.execute(
                text("INSERT INTO applied (event_id, times) VALUES (gen_random_uuid(), :n)"),
                {"n": now.year},
            )
        return 1

    job = ScheduledJob("probe-stamp", 60, stamp)
    await JobScheduler([job], platform_db.sessions).run_once(
        job, now=datetime(2031, 3, 1, tzinfo=UTC)
    )
    async with platform_db.sessions() as session:
        assert await session.scalar(text("SELECT times FROM applied")) == 2031
