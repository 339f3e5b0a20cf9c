"""The broker losing everything it held (the embedded one does on every restart): the relays
notice and republish from their outboxes, the consumers drop what they had applied, and
reporting ends up identical to the source of truth."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from crm_contracts import CUSTOMERS_EVENTS, CloudEvent, new_event
from crm_contracts import customers as c
from fastapi import FastAPI
from servicekit.db import create_engine, create_session_factory
from servicekit.embedded import EmbeddedBroker, free_port
from servicekit.kafka import ProducerHolder, ensure_topics, wait_for_broker
from servicekit.migrations import install_platform_tables
from servicekit.outbox import OutboxRelay, add_to_outbox
from servicekit.settings import ServiceSettings
from servicekit.tables import inbox
from servicekit.testing import TestInfra, running_service
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# -- on the whole platform -------------------------------------------------------------------


async def create_customers(platform: Any, tenant: str, n: int) -> int:
    created = 0
    headers = platform.headers("admin", tenant=tenant)
    async with httpx.AsyncClient(base_url=platform.url("customers"), timeout=10) as client:
        for i in range(n):
            body = {
                "name": f"Loss {i}",
                "branch_id": ("north", "south")[i % 2],
                "lifecycle_stage": ("lead", "prospect", "customer")[i % 3],
            }
            response = await client.post("/customers", json=body, headers=headers)
            assert response.status_code == 201, response.text
            created += 1
    return created


@pytest.mark.timeout(240)
async def test_a_broker_that_lost_everything_is_refilled_from_the_outboxes_and_reporting_agrees(
    crm_platform: Any, terminal: Any
) -> None:
    platform = crm_platform
    await asyncio.to_thread(platform.wait_all_ready)
    tenant = f"t-loss-{uuid.uuid4().hex[:8]}"

    async def reporting_matches() -> dict[str, Any]:
        summary, truth = (
            await platform.reporting_summary(tenant),
            await platform.customers_truth(tenant),
        )
        return {} if summary == truth else {"reporting": summary, "customers": truth}

    await create_customers(platform, tenant, 24)
    assert await platform.settle(reporting_matches, timeout_s=30) == {}
    before = await platform.reporting_summary(tenant)
    losses = await platform.metric("customers", "crm_outbox_broker_losses_total")
    skipped = await platform.metric("reporting", "crm_consumer_duplicates_total")

    old = platform.signal("broker", signal.SIGKILL)
    deadline = time.monotonic() + 60
    while platform.pid("broker") in (None, old):
        assert time.monotonic() < deadline, "the supervisor did not restart the broker"
        await asyncio.sleep(0.2)
    began = time.monotonic()
    await create_customers(platform, tenant, 6)  # written while the relays find out

    async def refilled() -> dict[str, Any]:
        found = await platform.audit([tenant])
        problems = found.problems() | await reporting_matches()
        if await platform.metric("customers", "crm_outbox_broker_losses_total") <= losses:
            problems["noticed"] = "the customers relay has not noticed the loss"
        return problems

    assert await platform.settle(refilled, timeout_s=90) == {}
    seconds = time.monotonic() - began
    after = await platform.reporting_summary(tenant)
    audit = await platform.audit([tenant])
    assert sum(after.values()) == sum(before.values()) + 6
    assert audit.not_in_topic == []
    assert audit.duplicates == 0
    assert audit.missing == 0
    # The republished events did reach reporting again and were dropped as redeliveries.
    redelivered = await platform.metric("reporting", "crm_consumer_duplicates_total") - skipped
    assert redelivered > 0
    terminal(
        f"\n   broker loss: {audit.events} events of the tenant back on the broker and reporting "
        f"identical {seconds:.1f} s after the restart; reporting skipped {redelivered:.0f} "
        "redeliveries"
    )


# -- the relay's loss check, on a broker of its own -------------------------------------------


@pytest.mark.timeout(60)
async def test_a_broker_that_lost_nothing_is_not_taken_for_one_that_lost_its_data(
    infra: TestInfra, tenant: str
) -> None:
    broker = EmbeddedBroker(port=free_port())
    await asyncio.to_thread(broker.start)
    url = await infra.create_database(f"faults_{uuid.uuid4().hex[:10]}")
    settings = infra.settings(
        ServiceSettings, database_url=url, kafka_bootstrap=broker.bootstrap, service_name="probe"
    )
    producers = ProducerHolder(settings)
    conn: asyncpg.Connection = await asyncpg.connect(settings.sync_database_url)
    try:
        await wait_for_broker(broker.bootstrap)
        await ensure_topics(broker.bootstrap, [CUSTOMERS_EVENTS], partitions=6)
        engine = create_engine(settings)
        async with engine.begin() as db:
            await db.run_sync(install_platform_tables)
        sessions = create_session_factory(engine)
        customer = uuid.uuid4()
        events = [customer_event(tenant, customer, seq, name=f"v{seq}") for seq in range(1, 21)]
        async with sessions() as session, session.begin():
            await add_to_outbox(session, events)
        await engine.dispose()
        relay = OutboxRelay(settings, producers)
        assert await relay.publish_pending(conn) == 20  # acknowledged by the broker: kept
        assert await relay.republish_if_broker_lost_events(conn) == 0
    finally:
        await conn.close()
        await producers.close()
        await asyncio.to_thread(broker.stop)


# -- out-of-order redelivery and the copies of customers ---------------------------------------


def customer_event(
    tenant: str, customer: uuid.UUID, seq: int, *, name: str | None = None, owner: Any = None
) -> CloudEvent:
    """Event `seq` of one customer: created (seq 1), renamed, or handed to `owner`."""
    payload: Any
    branch = owner[1] if owner else "north"
    if seq == 1:
        payload = c.CustomerCreatedV1(
            customer_id=customer,
            name=name or "A",
            kind="company",
            lifecycle_stage=c.LifecycleStage.LEAD,
            owner_id="north-rep",
            created_by="north-rep",
        )
    elif owner is not None:
        payload = c.CustomerOwnerChangedV1(
            customer_id=customer,
            old_owner_id="north-rep",
            new_owner_id=owner[0],
            old_branch_id="north",
            new_branch_id=owner[1],
            reason=c.OwnerChangeReason.ASSIGNED,
            changed_by="admin",
        )
    else:
        payload = c.CustomerUpdatedV1(
            customer_id=customer,
            changes={"name": c.FieldChange(old="?", new=name)},
            updated_by="admin",
        )
    return new_event(
        payload,
        tenant=tenant,
        branch=branch,
        partition_key=str(customer),
        subject=f"customer/{customer}",
        sequence=seq,
    )


def _sales() -> tuple[Callable[..., FastAPI], type[Any], Any, str]:
    from crm_sales.app import MIGRATIONS, create_app
    from crm_sales.config import SalesSettings

    return create_app, SalesSettings, MIGRATIONS, "customer_facts"


def _service_desk() -> tuple[Callable[..., FastAPI], type[Any], Any, str]:
    from crm_service_desk.app import MIGRATIONS, create_app
    from crm_service_desk.config import ServiceDeskSettings

    return create_app, ServiceDeskSettings, MIGRATIONS, "customer_facts"


def _notifications() -> tuple[Callable[..., FastAPI], type[Any], Any, str]:
    from crm_notifications.app import MIGRATIONS, create_app
    from crm_notifications.config import NotificationsSettings

    return create_app, NotificationsSettings, MIGRATIONS, "customer_owners"


COPIES = {"sales": _sales, "service-desk": _service_desk, "notifications": _notifications}


@pytest_asyncio.fixture
async def copy_service(
    request: pytest.FixtureRequest, infra: TestInfra
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession], str]]:
    name = request.param
    create_app, settings_cls, migrations, table = COPIES[name]()
    url = await infra.migrated_database(name, migrations)
    async with running_service(create_app, infra.settings(settings_cls, database_url=url)) as (
        app,
        _,
    ):
        yield app.state.runtime.consumer.name, app.state.runtime.session_factory, table


@pytest.mark.parametrize(
    "copy_service",
    [
        "sales",
        "service-desk",
        "notifications",
    ],
    indirect=True,
)
@pytest.mark.timeout(60)
async def test_customer_events_redelivered_out_of_order_leave_every_copy_at_the_latest_state(
    copy_service: tuple[str, async_sessionmaker[AsyncSession], str], infra: TestInfra, tenant: str
) -> None:
    consumer, sessions, table = copy_service
    customer = uuid.uuid4()
    history = {
        1: customer_event(tenant, customer, 1, name="A"),
        2: customer_event(tenant, customer, 2, name="B"),
        3: customer_event(tenant, customer, 3, owner=("north-rep2", "north")),
        4: customer_event(tenant, customer, 4, name="C"),
        5: customer_event(tenant, customer, 5, owner=("south-rep", "south")),
    }
    # After a broker loss: 4 and 5 were written after the restart and go out first; 2 and 3
    # had not reached this consumer before the loss and come back with the republish.
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        for seq in (1, 4, 5, 2, 3):
            event = history[seq]
            await producer.send_and_wait(
                CUSTOMERS_EVENTS, event.to_json_bytes(), key=str(customer).encode()
            )
    finally:
        await producer.stop()
    ids = [e.id for e in history.values()]
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        async with sessions() as session:
            applied = set(
                await session.scalars(
                    select(inbox.c.event_id).where(
                        inbox.c.consumer == consumer, inbox.c.event_id.in_(ids)
                    )
                )
            )
        if len(applied) == len(ids):
            break
        assert asyncio.get_running_loop().time() < deadline, f"applied {len(applied)} of 5"
        await asyncio.sleep(0.05)
    async with sessions() as session:
        row = (
            await session.execute(
                text(
                    f"SELECT name, owner_id, branch_id FROM {table}"
                    " WHERE tenant_id = :t AND customer_id = :c"
                ),
                {"t": tenant, "c": customer},
            )
        ).one()
    assert tuple(row) == ("C", "south-rep", "south")
