"""What one service process runs: database, producer, outbox relay, consumer, verifier.

Built by the app's lifespan, never at import, so tests and tools choose their settings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.auth import TokenVerifier
from servicekit.consumer import EventHandlers, IdempotentConsumer
from servicekit.db import create_engine, create_session_factory
from servicekit.errors import Problem
from servicekit.housekeeping import housekeeping_job
from servicekit.kafka import ProducerHolder
from servicekit.logging import get_logger
from servicekit.migrations import database_ready, head_revisions, known_revisions
from servicekit.outbox import OutboxRelay
from servicekit.scheduler import JobScheduler, ScheduledJob
from servicekit.settings import ServiceSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes one service different from another."""

    name: str
    title: str
    version: str
    migrations: Path
    description: str = ""
    routers: Sequence[APIRouter] = ()
    handlers: EventHandlers = field(default_factory=EventHandlers)
    subscribes: Sequence[str] = ()
    jobs: Sequence[ScheduledJob] = ()
    # Path prefixes of bulk-upload routes: they get `max_upload_bytes` instead of the cap.
    upload_paths: Sequence[str] = ()
    # Domain exceptions and the problem each becomes at the HTTP boundary.
    domain_errors: Mapping[type[Exception], type[Problem]] = field(default_factory=dict)


class Runtime:
    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        self.engine: AsyncEngine = create_engine(settings)
        self.session_factory: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self.producers = ProducerHolder(settings)
        self.relay = OutboxRelay(settings, self.producers)
        self.consumer: IdempotentConsumer | None = None
        if settings.run_consumer and definition.subscribes and definition.handlers.by_type:
            self.consumer = IdempotentConsumer(
                name=settings.consumer_group or f"crm-{definition.name}",
                topics=definition.subscribes,
                handlers=definition.handlers,
                session_factory=self.session_factory,
                producers=self.producers,
                settings=settings,
                group_id=None
                if settings.consumer_assign_manually
                else settings.consumer_group or f"crm-{definition.name}",
            )
        housekeeping = housekeeping_job(timedelta(days=settings.outbox_retention_days))
        self.scheduler = JobScheduler([*definition.jobs, housekeeping], self.session_factory)
        self._heads = head_revisions(definition.migrations)
        self._known = known_revisions(definition.migrations)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.settings.run_relay:
            self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        if self.consumer is not None:
            self._tasks.append(asyncio.create_task(self.consumer.run(self._stop), name="consumer"))
        if self.settings.run_jobs:
            self._tasks.append(
                asyncio.create_task(self.scheduler.run(self._stop), name="scheduler")
            )
        log.info("service_started", service=self.definition.name)

    async def stop(self) -> None:
        """Finish the batch in hand, commit, flush; then close connections."""
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=15)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.producers.close()
        await self.engine.dispose()
        log.info("service_stopped", service=self.definition.name)

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: 'ok' or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2), self.engine.connect() as conn:
                problem = await database_ready(conn, self._heads, self._known)
            checks["database"] = problem or "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        try:
            async with asyncio.timeout(2):
                producer = await self.producers.get()
                await producer.client.fetch_all_metadata()
            checks["broker"] = "ok"
        except Exception as exc:
            await self.producers.reset()
            checks["broker"] = f"unreachable: {exc.__class__.__name__}"
        return checks
