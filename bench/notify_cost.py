"""Diagnostic for the write path: what the outbox's NOTIFY trigger costs PostgreSQL.

A transaction that has sent NOTIFY takes a lock that is global to the server from its
pre-commit until its commit record is flushed, so notifying commits cannot share a WAL flush
(group commit) and queue behind each other. Measured on the platform's own server (fsync on,
as `make up` runs it), 32 connections, one-row insert transactions, with and without a
statement trigger like the outbox's, alternated.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from bench.context import Context
from bench.crmup import Platform
from bench.report import Row

SECTION = "1 write path"
SETUP = """
CREATE TABLE IF NOT EXISTS plain (id bigserial PRIMARY KEY, v text);
CREATE TABLE IF NOT EXISTS notified (id bigserial PRIMARY KEY, v text);
CREATE OR REPLACE FUNCTION bench_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('bench_wake', ''); RETURN NULL; END $$;
DROP TRIGGER IF EXISTS bench_wake ON notified;
CREATE TRIGGER bench_wake AFTER INSERT ON notified FOR EACH STATEMENT EXECUTE FUNCTION bench_wake();
"""


async def _commits_per_s(dsn: str, table: str, seconds: float, connections: int = 32) -> float:
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    done = 0
    end = time.monotonic() + seconds

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal done
        while time.monotonic() < end:
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {table} (v) VALUES ('x')")
            done += 1

    try:
        began = time.monotonic()
        await asyncio.gather(*(worker(c) for c in conns))
        return done / (time.monotonic() - began)
    finally:
        for conn in conns:
            await conn.close()


async def run(ctx: Context, platform: Platform) -> None:
    admin = await asyncpg.connect(platform.database_url("postgres"))
    try:
        await admin.execute("DROP DATABASE IF EXISTS bench_notify")
        await admin.execute("CREATE DATABASE bench_notify")
    finally:
        await admin.close()
    dsn = platform.database_url("bench_notify")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SETUP)
    finally:
        await conn.close()
    seconds = 2.0 if ctx.quick else 4.0
    rates: dict[str, list[float]] = {"plain": [], "notified": []}
    for _ in range(2):
        for table in ("plain", "notified"):
            rates[table].append(await _commits_per_s(dsn, table, seconds))
    plain = sum(rates["plain"]) / len(rates["plain"])
    notified = sum(rates["notified"]) / len(rates["notified"])
    ctx.add(
        Row(
            SECTION,
            "PostgreSQL commits/s, 32 connections: plain insert vs insert + outbox NOTIFY",
            f"{plain:,.0f} vs {notified:,.0f} commits/s",
            "",
            f"{notified / plain:.2f}" if plain else "",
            None,
            f"load {__import__('os').getloadavg()[0]:.2f}",
            "the platform's server (fsync on); a notifying transaction holds a server-wide "
            "lock through its commit flush, so these commits do not group: a ceiling shared by "
            "every service's writes",
        )
    )
