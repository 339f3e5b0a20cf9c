"""Alembic wiring shared by every service: env.py body, platform tables, upgrade, head check."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, pool, text
from sqlalchemy.ext.asyncio import AsyncConnection, async_engine_from_config

from servicekit.tables import OUTBOX_CHANNEL, platform_metadata


def alembic_config(database_url: str, script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", database_url)
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade_to_head(database_url: str, script_location: Path) -> None:
    """Blocking: call it from a thread when an event loop is running (Alembic runs its own)."""
    command.upgrade(alembic_config(database_url, script_location), "head")


def head_revisions(script_location: Path) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("postgresql://", script_location))
    return set(script.get_heads())


def known_revisions(script_location: Path) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("postgresql://", script_location))
    return {revision.revision for revision in script.walk_revisions()}


async def applied_revisions(conn: AsyncConnection) -> set[str]:
    def read(sync_conn: Connection) -> set[str]:
        return set(MigrationContext.configure(sync_conn).get_current_heads())

    return await conn.run_sync(read)


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """The whole body of a service's migrations/env.py (online, async driver)."""
    metadata = [target_metadata] if isinstance(target_metadata, MetaData) else target_metadata
    metadata = [*metadata, platform_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        config = context.config
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())


def install_platform_tables(bind: Connection) -> None:
    """Outbox, inbox, idempotency keys and the trigger that wakes the relay."""
    platform_metadata.create_all(bind)
    # One notification per INSERT statement wakes the relay at commit (NOTIFY is transactional).
    bind.execute(
        text(
            "CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$"
        )
    )
    bind.execute(
        text(
            "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox"
            " FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
        )
    )


def create_platform_tables() -> None:
    """Call from a service's first migration."""
    install_platform_tables(op.get_bind())


def drop_platform_tables() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS outbox_notify ON outbox; DROP FUNCTION IF EXISTS outbox_notify();"
    )
    platform_metadata.drop_all(op.get_bind())


async def database_ready(conn: AsyncConnection, heads: set[str], known: set[str]) -> str | None:
    """None when reachable and migrated, else what is wrong.

    A database ahead of this code (revisions it does not know: the next release's migration
    Job ran) is ready: migrations are additive, and the old pods keep serving mid-rollout.
    """
    await conn.execute(text("SELECT 1"))
    applied = await applied_revisions(conn)
    if applied == heads or (applied and not applied <= known):
        return None
    return f"migrations pending: applied {sorted(applied)}, head {sorted(heads)}"
