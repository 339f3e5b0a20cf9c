"""The service desk running on the session's real database and broker, a clock the tests
set, and a feed of customers events (the only way customer facts reach the service)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from crm_contracts import CUSTOMERS_EVENTS, SERVICE_DESK_EVENTS, CloudEvent, new_event
from crm_contracts import customers as c
from crm_service_desk.app import MIGRATIONS, create_app
from crm_service_desk.config import ServiceDeskSettings
from crm_service_desk.entrypoints.api.deps import get_now
from fastapi import FastAPI
from pydantic import BaseModel
from servicekit.runtime import Runtime
from servicekit.tables import inbox
from servicekit.testing import TestInfra, read_events, running_service
from sqlalchemy import select

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23 November 2026 is a Monday; the default business hours are Mon-Fri 09:00-18:00 here.
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)


def shanghai_time(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment of November 2026 in Shanghai."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def at() -> Callable[..., datetime]:
    """`at(27, 17)`: Friday 27 November 2026, 17:00 in Shanghai."""
    return shanghai_time


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def desk_app(infra: TestInfra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await infra.migrated_database("service-desk", MIGRATIONS)
    settings = infra.settings(ServiceDeskSettings, database_url=url)
    async with running_service(create_app, settings) as running:
        yield running


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(desk_app: tuple[FastAPI, httpx.AsyncClient]) -> Iterator[Clock]:
    """The time requests see (Monday 10:00 in Shanghai unless a test moves it)."""
    app = desk_app[0]
    current = Clock(MONDAY_10)
    app.dependency_overrides[get_now] = lambda: current.now
    yield current
    app.dependency_overrides.pop(get_now, None)


@pytest.fixture
def desk(desk_app: tuple[FastAPI, httpx.AsyncClient], clock: Clock) -> httpx.AsyncClient:
    return desk_app[1]


@pytest.fixture
def runtime(desk_app: tuple[FastAPI, httpx.AsyncClient]) -> Runtime:
    """The service's runtime: its scheduler runs jobs at a time the test chooses."""
    return desk_app[0].state.runtime


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user (or any user with `roles=`) in this test's own tenant."""

    def headers(user: str = "agent", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}

    return headers


@pytest.fixture
def portal(auth: Callable[..., dict[str, str]]) -> Callable[[str], dict[str, str]]:
    """Headers of a portal contact bound to `customer_id`."""

    def headers(customer_id: str, user: str = "li-wei") -> dict[str, str]:
        return auth(user, roles=["portal"], customer=customer_id)

    return headers


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def producer(infra: TestInfra) -> AsyncIterator[AIOKafkaProducer]:
    started = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await started.start()
    yield started
    await started.stop()


class CustomersFeed:
    """Publishes what the customers service would, and waits until the desk applied it."""

    def __init__(self, producer: AIOKafkaProducer, runtime: Runtime, tenant: str) -> None:
        self._producer = producer
        self._runtime = runtime
        self._tenant = tenant

    async def publish(
        self,
        payload: BaseModel,
        *,
        customer_id: str,
        seq: int,
        branch: str | None = "north",
        subject: str | None = None,
    ) -> CloudEvent:
        event = new_event(
            payload,
            tenant=self._tenant,
            branch=branch,
            partition_key=customer_id,
            subject=subject or f"customer/{customer_id}",
            sequence=seq,
        )
        await self._producer.send_and_wait(
            CUSTOMERS_EVENTS, event.to_json_bytes(), key=customer_id.encode()
        )
        await self.applied(event)
        return event

    async def applied(self, event: CloudEvent, timeout_s: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            async with self._runtime.session_factory() as session:
                if await session.scalar(
                    select(inbox.c.event_id).where(inbox.c.event_id == event.id)
                ):
                    return
            assert asyncio.get_running_loop().time() < deadline, f"{event.type} not applied"
            await asyncio.sleep(0.02)

    async def customer(
        self, *, branch: str = "north", owner: str | None = "north-rep", name: str = "Acme"
    ) -> str:
        """A new customer the desk knows of; returns its id."""
        customer_id = str(uuid.uuid4())
        await self.publish(
            c.CustomerCreatedV1(
                customer_id=uuid.UUID(customer_id),
                name=name,
                kind="company",
                lifecycle_stage=c.LifecycleStage.CUSTOMER,
                owner_id=owner,
                created_by=owner or "admin",
            ),
            customer_id=customer_id,
            seq=1,
            branch=branch,
        )
        return customer_id

    async def contact(self, customer_id: str, name: str = "Li Wei") -> str:
        contact_id = str(uuid.uuid4())
        await self.publish(
            c.ContactChangedV1(
                customer_id=uuid.UUID(customer_id),
                contact_id=uuid.UUID(contact_id),
                name=name,
                changed_by="north-rep",
            ),
            customer_id=customer_id,
            seq=1,
            subject=f"contact/{contact_id}",
        )
        return contact_id


@pytest.fixture
def customers(producer: AIOKafkaProducer, runtime: Runtime, tenant: str) -> CustomersFeed:
    return CustomersFeed(producer, runtime, tenant)


@pytest.fixture
def published(infra: TestInfra, tenant: str) -> Callable[..., Any]:
    """Service-desk events of this tenant that reached the broker, optionally of one type."""

    async def read(
        event_type: str = "", expect: int = 1, settle_s: float = 0.5
    ) -> list[CloudEvent]:
        return await read_events(
            infra.bootstrap,
            SERVICE_DESK_EVENTS,
            where=lambda e: e.tenantid == tenant and e.type.endswith(event_type),
            expect=expect,
            settle_s=settle_s,
        )

    return read


@pytest.fixture
def open_ticket(desk: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """POST a ticket as `user` (an agent of north by default); returns the response JSON."""

    async def create(customer_id: str, user: str = "agent", **fields: Any) -> dict[str, Any]:
        body = {
            "customer_id": customer_id,
            "subject": "Forklift does not lift",
            "description": "Hydraulics lose pressure.",
            "channel": "phone",
            **fields,
        }
        response = await desk.post("/tickets", json=body, headers=auth(user))
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create
