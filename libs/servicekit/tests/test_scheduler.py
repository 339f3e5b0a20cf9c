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


async def test_housekeeping_drops_old_published_rows_and_old_idempotency_keys(
    platform_db, make_event, tenant
):
    from datetime import timedelta

    from servicekit.housekeeping import housekeeping_job
    from servicekit.uow import UnitOfWork

    async with UnitOfWork(platform_db.sessions) as uow:
        uow.emit(make_event(tenant, "old"))
        uow.emit(make_event(tenant, "unpublished"))
        await uow.commit()
    async with platform_db.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE outbox SET published_at = now() - interval '8 days'"
                " WHERE envelope->'data'->>'name' = 'old'"
            )
        )
        await session.execute(
            text(
                "INSERT INTO idempotency_keys (tenant_id, principal, key, fingerprint, created_at)"
                " VALUES ('t', 'u', 'old', 'f', now() - interval '2 days'),"
                " ('t', 'u', 'fresh', 'f', now())"
            )
        )
    job = housekeeping_job(timedelta(days=7))
    assert await JobScheduler([job], platform_db.sessions).run_once(job) == 2
    async with platform_db.sessions() as session:
        names = (
            (await session.execute(text("SELECT envelope->'data'->>'name' FROM outbox")))
            .scalars()
            .all()
        )
        keys = (await session.execute(text("SELECT key FROM idempotency_keys"))).scalars().all()
    assert names == ["unpublished"]  # never published: kept whatever its age
    assert keys == ["fresh"]
