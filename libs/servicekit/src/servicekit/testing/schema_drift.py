"""Does a service's migration head match its SQLAlchemy models? (An autogenerate diff.)"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.tables import platform_metadata


async def schema_drift(database_url: str, metadata: MetaData) -> list[Any]:
    """Differences between a migrated database and the models (empty when in sync)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: Connection) -> list[Any]:
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "compare_server_default": False}
                )
                # Alembic accepts a sequence of MetaData (as target_metadata does); its stub not.
                both = [metadata, platform_metadata]
                return list(compare_metadata(context, both))  # type: ignore[arg-type]

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()
