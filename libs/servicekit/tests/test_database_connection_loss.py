"""Without a ping before each use, a pooled connection that died with the database costs one
request a 503 (nothing written, Retry-After), and the pool heals for the next one."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from servicekit.db import create_engine
from servicekit.errors import install_problem_handlers
from servicekit.settings import ServiceSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_a_connection_killed_under_the_pool_gives_one_503_then_recovers(infra, tmp_path):
    url = await infra.create_database(f"lost_{uuid.uuid4().hex[:8]}")
    settings = ServiceSettings(database_url=url, jwt_jwks_file=tmp_path / "jwks.json")
    engine = create_engine(settings)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/backend")
    async def backend() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"pid": int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = (await client.get("/backend")).json()["pid"]
            killer = create_async_engine(url)  # what a database restart does to the pool
            async with killer.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
            await killer.dispose()

            lost = await client.get("/backend")
            assert lost.status_code == 503
            assert lost.headers["retry-after"] == "1"
            assert lost.headers["content-type"] == "application/problem+json"

            healed = await client.get("/backend")
            assert healed.status_code == 200
            assert healed.json()["pid"] != first
    finally:
        await engine.dispose()
