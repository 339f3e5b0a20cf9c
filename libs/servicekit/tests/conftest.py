"""A database with the platform tables, and a probe table consumers write their effects to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from servicekit.db import create_engine, create_session_factory
from servicekit.migrations import install_platform_tables
from servicekit.settings import ServiceSettings
from servicekit.testing import TestInfra
from servicekit.testing.events import customer_created
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

probe_metadata = MetaData()
# How many times a consumer applied each event: the "effect" that must happen once.
applied = Table(
    "applied",
    probe_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("times", Integer, nullable=False),
)


@dataclass
class PlatformDb:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@pytest_asyncio.fixture
async def platform_db(infra: TestInfra) -> AsyncIterator[PlatformDb]:
    url = await infra.create_database(f"kit_{uuid.uuid4().hex[:10]}")
    settings = infra.settings(
        ServiceSettings,
        database_url=url,
        service_name="probe",
        consumer_max_attempts=2,
        consumer_retry_backoff_s=0.01,
        outbox_poll_interval_s=0.2,
        consumer_start_at_end=False,  # these tests publish first, then consume
    )
    engine = create_engine(settings)

    def install(bind: Any) -> None:
        install_platform_tables(bind)
        probe_metadata.create_all(bind)

    async with engine.begin() as conn:
        await conn.run_sync(install)
    try:
        yield PlatformDb(settings, engine, create_session_factory(engine))
    finally:
        await engine.dispose()


@pytest.fixture
def make_event():
    """A customer.created event of a new customer (any real contract would do)."""
    return customer_created


async def times_applied(platform_db: PlatformDb) -> dict[uuid.UUID, int]:
    async with platform_db.sessions() as session:
        rows = await session.execute(select(applied.c.event_id, applied.c.times))
        return {event_id: times for event_id, times in rows}


@pytest.fixture
def applied_counts():
    """How often the probe consumer applied each event id."""
    return times_applied
