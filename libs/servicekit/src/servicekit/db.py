"""The async engine and session factory of one service database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from servicekit.settings import ServiceSettings


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    # No pool_pre_ping: it costs a round trip on every checkout. After a database restart
    # the first use of a dead connection fails (503, see servicekit.errors) and the pool
    # replaces every connection made before it.
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_recycle=1800,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: handlers build responses from them.
    return async_sessionmaker(engine, expire_on_commit=False)
