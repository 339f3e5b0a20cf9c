"""The sales service on the session's real database and broker, and a stand-in for the
customers service that publishes real customers events to the broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from crm_contracts import CUSTOMERS_EVENTS, SALES_EVENTS, CloudEvent, Payload, new_event
from crm_contracts import customers as c
from crm_sales.app import MIGRATIONS, create_app
from crm_sales.config import SalesSettings
from fastapi import FastAPI
from servicekit.tables import inbox
from servicekit.testing import TestInfra, read_events, running_service
from sqlalchemy import select


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sales_service(infra: TestInfra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await infra.migrated_database("sales", MIGRATIONS)
    settings = infra.settings(SalesSettings, database_url=url)
    async with running_service(create_app, settings) as (app, client):
        consumer = app.state.runtime.consumer
        assert consumer is not None
        await asyncio.wait_for(consumer.ready.wait(), 30)
        yield app, client


@pytest.fixture
def sales(sales_service: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return sales_service[1]


@pytest.fixture
def app(sales_service: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return sales_service[0]


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user in this test's own tenant (see servicekit.keys.DEMO_USERS:
    north-rep, north-rep2, north-mgr, south-rep, ceo, admin, marketer, integrator...)."""

    def headers(user: str = "admin", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}

    return headers


@pytest.fixture
def sales_events(infra: TestInfra, tenant: str) -> Callable[..., Any]:
    """What sales published for this test's tenant: `await sales_events(type, expect=n)`."""

    async def read(
        event_type: str | None = None,
        *,
        expect: int = 1,
        where_type_endswith: str = "",
        **kw: Any,
    ) -> list[CloudEvent]:
        return await read_events(
            infra.bootstrap,
            SALES_EVENTS,
            where=lambda e: (
                e.tenantid == tenant
                and event_type in (None, e.type)
                and e.type.endswith(where_type_endswith)
            ),
            expect=expect,
            **kw,
        )

    return read


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def producer(infra: TestInfra) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


class CustomersFeed:
    """Plays the customers service: publishes its CloudEvents to `crm.customers.events` and
    waits until the sales consumer has applied each one (its id is in the inbox)."""

    def __init__(self, producer: AIOKafkaProducer, app: FastAPI, tenant: str) -> None:
        self._producer = producer
        self._sessions = app.state.runtime.session_factory
        self.tenant = tenant
        self.versions: dict[UUID, int] = defaultdict(int)

    async def publish(
        self,
        payload: Payload,
        *,
        key: UUID,
        subject: str,
        branch: str | None,
        sequence: int | None = None,
    ) -> CloudEvent:
        if sequence is None:
            self.versions[key] += 1
            sequence = self.versions[key]
        event = new_event(
            payload,
            tenant=self.tenant,
            branch=branch,
            partition_key=str(key),
            subject=subject,
            sequence=sequence,
        )
        await self._producer.send_and_wait(
            CUSTOMERS_EVENTS, event.to_json_bytes(), key=str(key).encode()
        )
        await self.applied(event)
        return event

    async def applied(self, event: CloudEvent, timeout_s: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            async with self._sessions() as session:
                if await session.scalar(select(inbox.c.event_id).filter_by(event_id=event.id)):
                    return
            await asyncio.sleep(0.02)
        raise AssertionError(f"sales did not apply {event.type} within {timeout_s} s")

    async def created(
        self,
        *,
        owner: str | None = "north-rep",
        branch: str = "north",
        name: str = "Nordwind Logistik",
        customer_id: UUID | None = None,
        sequence: int | None = None,
    ) -> UUID:
        customer_id = customer_id or uuid4()
        payload = c.CustomerCreatedV1(
            customer_id=customer_id,
            name=name,
            kind="company",
            lifecycle_stage=c.LifecycleStage.PROSPECT,
            owner_id=owner,
            created_by=owner or "north-mgr",
        )
        await self.publish(
            payload,
            key=customer_id,
            subject=f"customer/{customer_id}",
            branch=branch,
            sequence=sequence,
        )
        return customer_id

    async def owner_changed(
        self,
        customer_id: UUID,
        *,
        old: str | None,
        new: str | None,
        old_branch: str = "north",
        new_branch: str = "north",
        sequence: int | None = None,
    ) -> CloudEvent:
        payload = c.CustomerOwnerChangedV1(
            customer_id=customer_id,
            old_owner_id=old,
            new_owner_id=new,
            old_branch_id=old_branch,
            new_branch_id=new_branch,
            reason=c.OwnerChangeReason.ASSIGNED,
            changed_by="north-mgr",
        )
        return await self.publish(
            payload,
            key=customer_id,
            subject=f"customer/{customer_id}",
            branch=new_branch,
            sequence=sequence,
        )

    async def merged(self, survivor: UUID, duplicate: UUID, *, branch: str = "north") -> None:
        payload = c.CustomerMergedV1(
            customer_id=survivor, merged_id=duplicate, merged_by="north-mgr"
        )
        await self.publish(payload, key=survivor, subject=f"customer/{survivor}", branch=branch)

    async def deleted(self, customer_id: UUID) -> None:
        payload = c.CustomerDeletedV1(customer_id=customer_id, deleted_by="admin")
        await self.publish(
            payload, key=customer_id, subject=f"customer/{customer_id}", branch="north"
        )

    async def contact(self, customer_id: UUID, *, name: str = "Li Wei") -> UUID:
        contact_id = uuid4()
        payload = c.ContactChangedV1(
            customer_id=customer_id, contact_id=contact_id, name=name, changed_by="north-rep"
        )
        await self.publish(
            payload, key=customer_id, subject=f"contact/{contact_id}", branch="north", sequence=1
        )
        return contact_id

    async def segment(self, *, name: str = "Logistics key accounts") -> UUID:
        segment_id = uuid4()
        payload = c.SegmentChangedV1(
            segment_id=segment_id, name=name, kind="filter", changed_by="marketer"
        )
        await self.publish(
            payload, key=segment_id, subject=f"segment/{segment_id}", branch=None, sequence=1
        )
        return segment_id


@pytest.fixture
def customers(producer: AIOKafkaProducer, app: FastAPI, tenant: str) -> CustomersFeed:
    return CustomersFeed(producer, app, tenant)
