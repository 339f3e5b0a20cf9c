"""The outbox against the real database and broker: nothing lost, ordered, republished."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from crm_contracts import CUSTOMERS_EVENTS, CloudEvent
from crm_contracts.customers import CustomerCreatedV1
from servicekit.consumer import EventHandlers, IdempotentConsumer
from servicekit.embedded import EmbeddedBroker, free_port
from servicekit.kafka import ProducerHolder, ensure_topics
from servicekit.outbox import OutboxRelay, republish_since
from servicekit.settings import ServiceSettings
from servicekit.tables import outbox
from servicekit.testing import read_events
from servicekit.uow import UnitOfWork
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def pending(platform_db) -> int:
    async with platform_db.sessions() as session:
        return await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )


async def eventually(check: Callable[[], object], timeout_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():  # type: ignore[misc]
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_an_event_committed_with_its_change_is_published_exactly_once(
    make_event, platform_db, infra, tenant
):
    event = make_event(tenant)
    async with UnitOfWork(platform_db.sessions) as uow:
        await uow.session.execute(
            text("INSERT INTO applied (event_id, times) VALUES (:id, 0)"), {"id": event.id}
        )
        uow.emit(event)
        await uow.commit()

    producers = ProducerHolder(platform_db.settings)
    async with running(OutboxRelay(platform_db.settings, producers)):
        seen = await read_events(
            infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.id == event.id, settle_s=1.5
        )
    await producers.close()

    assert [e.id for e in seen] == [event.id]
    assert seen[0].data["name"] == "Acme"
    assert await pending(platform_db) == 0


async def test_a_rolled_back_change_publishes_nothing(make_event, platform_db):
    async with UnitOfWork(platform_db.sessions) as uow:
        uow.emit(make_event("t-rollback"))
        # leaving without commit: the unit of work rolls back
    async with platform_db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(outbox)) == 0


async def test_events_of_one_customer_arrive_in_the_order_they_were_written(
    make_event, platform_db, infra, tenant
):
    first = make_event(tenant, "v1")
    key = first.partitionkey
    events = [first] + [
        first.model_copy(
            update={"id": uuid.uuid4(), "sequence": n, "data": {**first.data, "name": f"v{n}"}}
        )
        for n in range(2, 41)
    ]
    for event in events:  # one transaction each, as forty separate writes would be
        async with UnitOfWork(platform_db.sessions) as uow:
            uow.emit(event)
            await uow.commit()

    producers = ProducerHolder(platform_db.settings)
    async with running(OutboxRelay(platform_db.settings, producers)):
        seen = await read_events(
            infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.partitionkey == key, expect=40
        )
    await producers.close()
    assert [e.sequence for e in seen] == list(range(1, 41))


class CrashAfterAck(OutboxRelay):
    """Dies once between the broker's ack and marking the rows, like a killed process."""

    crashed = False

    async def mark_published(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        if not self.crashed:
            type(self).crashed = True
            raise ConnectionResetError("relay process died")
        await super().mark_published(conn, seqs)


async def test_a_relay_crash_after_the_ack_publishes_again_and_the_consumer_applies_once(
    make_event, applied_counts, platform_db, infra, tenant
):
    event = make_event(tenant)
    async with UnitOfWork(platform_db.sessions) as uow:
        uow.emit(event)
        await uow.commit()

    producers = ProducerHolder(platform_db.settings)
    async with running(CrashAfterAck(platform_db.settings, producers)):
        seen = await read_events(
            infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.id == event.id, expect=2
        )
        await eventually(lambda: _none_pending(platform_db))
    assert len(seen) == 2  # at least once on the wire
    assert CrashAfterAck.crashed

    handlers = EventHandlers()

    @handlers.on(CustomerCreatedV1)
    async def count(session: AsyncSession, applied_event: CloudEvent) -> None:
        if applied_event.tenantid == tenant:
            await session.execute(
                text(
                    "INSERT INTO applied (event_id, times) VALUES (:id, 1) ON CONFLICT"
                    " (event_id) DO UPDATE SET times = applied.times + 1"
                ),
                {"id": applied_event.id},
            )

    consumer = IdempotentConsumer(
        name=f"crash-{tenant}",
        topics=[CUSTOMERS_EVENTS],
        handlers=handlers,
        session_factory=platform_db.sessions,
        producers=producers,
        settings=platform_db.settings,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(lambda: _applied(applied_counts, platform_db, event.id))
        await asyncio.sleep(1.0)  # time for the second copy to arrive and be skipped
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await producers.close()
    assert await applied_counts(platform_db) == {event.id: 1}  # once in effect


async def _applied(applied_counts, platform_db, event_id) -> bool:
    return event_id in await applied_counts(platform_db)


async def _none_pending(platform_db) -> bool:
    return await pending(platform_db) == 0


async def test_writes_succeed_while_the_broker_is_down_and_flow_when_it_returns(
    make_event, platform_db, tenant
):
    broker = EmbeddedBroker(port=free_port())  # our own: the session broker stays up
    settings = platform_db.settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
    producers = ProducerHolder(settings)
    events = [make_event(tenant, f"offline {n}") for n in range(5)]
    async with running(OutboxRelay(settings, producers)):
        for event in events:
            async with UnitOfWork(platform_db.sessions) as uow:
                uow.emit(event)
                await uow.commit()
        await asyncio.sleep(1.5)  # the relay tries and fails meanwhile
        assert await pending(platform_db) == 5

        await asyncio.to_thread(broker.start)
        try:
            await ensure_topics(broker.bootstrap, [CUSTOMERS_EVENTS], partitions=3)
            ids = {e.id for e in events}
            seen = await read_events(
                broker.bootstrap,
                CUSTOMERS_EVENTS,
                where=lambda e: e.id in ids,
                expect=5,
                timeout_s=20,
            )
        finally:
            await producers.close()
            broker.stop()
    assert {e.id for e in seen} == ids
    assert await pending(platform_db) == 0


async def test_republish_marks_kept_rows_pending_again(make_event, platform_db, tenant):
    async with UnitOfWork(platform_db.sessions) as uow:
        uow.emit(make_event(tenant))
        uow.emit(make_event(tenant))
        await uow.commit()
    conn = await asyncpg.connect(platform_db.settings.sync_database_url)
    try:
        await conn.execute("UPDATE outbox SET published_at = now()")
        assert await republish_since(conn) == 2
    finally:
        await conn.close()
    assert await pending(platform_db) == 2


def test_settings_without_a_key_source_stop_start_up():
    with pytest.raises(ValueError, match="jwt_jwks"):
        ServiceSettings()


async def test_a_broker_that_lost_its_data_gets_every_kept_event_again(
    make_event, platform_db, tenant
):
    broker = EmbeddedBroker(port=free_port())  # ours: restarting it loses everything
    await asyncio.to_thread(broker.start)
    settings = platform_db.settings.model_copy(
        update={"kafka_bootstrap": broker.bootstrap, "outbox_loss_check_interval_s": 0.3}
    )
    producers = ProducerHolder(settings)
    events = [make_event(tenant, f"kept {n}") for n in range(3)]
    ids = {e.id for e in events}
    try:
        await ensure_topics(broker.bootstrap, [CUSTOMERS_EVENTS], partitions=3)
        async with running(OutboxRelay(settings, producers)):
            for event in events:
                async with UnitOfWork(platform_db.sessions) as uow:
                    uow.emit(event)
                    await uow.commit()
            await read_events(
                broker.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.id in ids, expect=3
            )
            await asyncio.to_thread(broker.restart)  # every message is gone
            await ensure_topics(broker.bootstrap, [CUSTOMERS_EVENTS], partitions=3)
            again = await read_events(
                broker.bootstrap,
                CUSTOMERS_EVENTS,
                where=lambda e: e.id in ids,
                expect=3,
                timeout_s=20,
            )
    finally:
        await producers.close()
        broker.stop()
    assert {e.id for e in again} == ids
