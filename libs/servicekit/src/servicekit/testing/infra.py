"""The session's database server and broker: embedded by default, containers on request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from crm_contracts import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from fastapi import FastAPI

from servicekit.kafka import ensure_topics, wait_for_broker
from servicekit.keys import KeyPair, ensure_keypair, mint_token
from servicekit.migrations import upgrade_to_head
from servicekit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


@dataclass
class TestInfra:
    """Handles to the real servers of this test session."""

    __test__ = False  # not a test class, whatever its name

    server_url: str  # postgresql://user@host:port (no database)
    bootstrap: str
    keys: KeyPair
    postgres: Any = None  # EmbeddedPostgres when embedded: lets fault tests restart it
    broker: Any = None  # EmbeddedBroker when embedded
    _migrated: dict[str, str] = field(default_factory=dict)

    def database_url(self, name: str, *, driver: str = "asyncpg") -> str:
        scheme = self.server_url.split("://", 1)[1]
        prefix = f"postgresql+{driver}" if driver else "postgresql"
        return f"{prefix}://{scheme}/{name}"

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        conn = await asyncpg.connect(f"{self.server_url}/postgres")
        try:
            clause = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await conn.close()
        return self.database_url(name)

    async def migrated_database(self, service: str, migrations: Path) -> str:
        """A fresh database at the service's migration head (cloned from a migrated template)."""
        template = f"tmpl_{service.replace('-', '_')}"
        if template not in self._migrated:
            url = await self.create_database(template)
            await asyncio.to_thread(upgrade_to_head, url, migrations)
            self._migrated[template] = url
        name = f"{service.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
        return await self.create_database(name, template=template)

    def settings(self, cls: type[S], *, database_url: str, **overrides: Any) -> S:
        values: dict[str, Any] = {
            "database_url": database_url,
            "kafka_bootstrap": self.bootstrap,
            "jwt_jwks_file": self.keys.jwks,
            "consumer_assign_manually": True,
            "consumer_start_at_end": True,
            # Tests run jobs themselves with a chosen `now` (runtime.scheduler.run_once).
            "run_jobs": False,
            # Suites hammer one user's bucket; tests of the limit turn it on explicitly.
            "rate_limit_per_minute": 0,
            "outbox_poll_interval_s": 0.5,
            "log_json": False,
            "log_level": "WARNING",
            "database_pool_size": 5,
        }
        values.update(overrides)
        return cls.model_validate(values)

    def token(
        self,
        user: str = "admin",
        *,
        tenant: str = "demo",
        roles: list[str] | None = None,
        branch: str | None = None,
        **claims: Any,
    ) -> str:
        from servicekit.keys import DEMO_USERS

        demo = DEMO_USERS.get(user)
        return mint_token(
            self.keys.private_pem,
            sub=user,
            tenant=tenant,
            roles=roles if roles is not None else list(demo.roles if demo else ()),
            branch=branch if branch is not None else (demo.branch if demo else None),
            **claims,
        )


async def create_all_topics(bootstrap: str) -> None:
    topics = [*ALL_TOPICS, *(dlq_topic(t) for t in ALL_TOPICS)]
    await ensure_topics(bootstrap, topics, partitions=DEFAULT_PARTITIONS)


@contextlib.asynccontextmanager
async def embedded_infra() -> AsyncIterator[TestInfra]:
    from servicekit.embedded import EmbeddedBroker, EmbeddedPostgres, free_port

    workdir = Path(tempfile.mkdtemp(prefix="crm-test-"))
    postgres = EmbeddedPostgres(workdir / "pg", port=free_port(), durable=False)
    broker = EmbeddedBroker(port=free_port())
    try:
        await asyncio.gather(asyncio.to_thread(postgres.start), asyncio.to_thread(broker.start))
        infra = TestInfra(
            server_url=f"postgresql://postgres@{postgres.host}:{postgres.port}",
            bootstrap=broker.bootstrap,
            keys=ensure_keypair(workdir / "keys"),
            postgres=postgres,
            broker=broker,
        )
        await wait_for_broker(infra.bootstrap)
        await create_all_topics(infra.bootstrap)
        yield infra
    finally:
        broker.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.asynccontextmanager
async def container_infra() -> AsyncIterator[TestInfra]:
    """CRM_TEST_INFRA=containers: PostgreSQL and Apache Kafka in Docker via testcontainers."""
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    workdir = Path(tempfile.mkdtemp(prefix="crm-test-"))
    with PostgresContainer("postgres:17-alpine", driver=None) as pg, KafkaContainer() as kafka:
        host, port = pg.get_container_host_ip(), pg.get_exposed_port(5432)
        infra = TestInfra(
            server_url=f"postgresql://{pg.username}:{pg.password}@{host}:{port}",
            bootstrap=kafka.get_bootstrap_server(),
            keys=ensure_keypair(workdir / "keys"),
        )
        await wait_for_broker(infra.bootstrap)
        await create_all_topics(infra.bootstrap)
        yield infra
    shutil.rmtree(workdir, ignore_errors=True)


def session_infra() -> contextlib.AbstractAsyncContextManager[TestInfra]:
    mode = os.environ.get("CRM_TEST_INFRA", "embedded")
    if mode == "containers":
        return container_infra()
    if mode != "embedded":
        raise RuntimeError(f"CRM_TEST_INFRA={mode!r}: use 'embedded' or 'containers'")
    return embedded_infra()


@contextlib.asynccontextmanager
async def running_service(
    create_app: Callable[[S], FastAPI], settings: S
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The service's app with its lifespan running (relay, consumer) and an HTTP client."""
    from asgi_lifespan import LifespanManager

    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        consumer = app.state.runtime.consumer
        if consumer is not None:  # events a test publishes next must reach it
            await asyncio.wait_for(consumer.ready.wait(), 30)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client
