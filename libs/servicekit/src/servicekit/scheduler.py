"""Scheduled jobs (pool returns, subscription expiry, SLA breaches, reminders, snapshots).

Every replica runs the scheduler; a PostgreSQL advisory lock per job lets one of them run
each tick. Jobs take `now` as an argument, so tests drive them with any clock, and must be
idempotent: a tick that dies half-way is simply run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.logging import get_logger
from servicekit.metrics import JOB_RUNS

log = get_logger(__name__)

JobFunction = Callable[[async_sessionmaker[AsyncSession], datetime], Awaitable[int]]


@dataclass(frozen=True)
class ScheduledJob:
    """`run(sessions, now)` returns how many items it handled (for logs and metrics)."""

    name: str
    interval_s: float
    run: JobFunction

    @property
    def lock_key(self) -> int:
        return zlib.crc32(f"crm-job:{self.name}".encode())


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobScheduler:
    def __init__(
        self,
        jobs: Sequence[ScheduledJob],
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._jobs = list(jobs)
        self._sessions = sessions
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        if not self._jobs:
            return
        loops = [asyncio.create_task(self._loop(job, stop), name=job.name) for job in self._jobs]
        try:
            await asyncio.gather(*loops)
        finally:
            for task in loops:
                task.cancel()

    async def _loop(self, job: ScheduledJob, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once(job)
            except Exception:
                log.exception("job_failed", job=job.name)
                JOB_RUNS.labels(job.name, "failed").inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), job.interval_s)

    async def run_once(self, job: ScheduledJob, *, now: datetime | None = None) -> int | None:
        """Run `job` now unless another replica holds its lock; None when skipped."""
        async with self._sessions() as session:
            got = await session.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": job.lock_key})
            if not got:
                return None
            try:
                handled = await job.run(self._sessions, now or self._clock())
            finally:
                await session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": job.lock_key})
                await session.commit()
        JOB_RUNS.labels(job.name, "ok").inc()
        if handled:
            log.info("job_ran", job=job.name, handled=handled)
        return handled
