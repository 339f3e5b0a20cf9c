"""The idempotent consumer against the real database and broker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from crm_contracts import CloudEvent, dlq_topic
from crm_contracts.customers import CustomerCreatedV1
from servicekit import metrics
from servicekit.consumer import EventHandlers, IdempotentConsumer
from servicekit.kafka import ProducerHolder, ensure_topics
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Poison(Exception):
    pass


def probe_handlers() -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(CustomerCreatedV1)
    async def count(session: AsyncSession, event: CloudEvent) -> None:
        if event.data["name"] == "poison":
            raise Poison("this handler cannot apply a customer called poison")
        await session.execute(
            text(
                "INSERT INTO applied (event_id, times) VALUES (:id, 1) "
                "ON CONFLICT (event_id) DO UPDATE SET times = applied.times + 1"
            ),
            {"id": event.id},
        )

    return handlers


@pytest.fixture
async def topic(infra) -> str:
    name = f"test.consumer.{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.bootstrap, [name, dlq_topic(name)], partitions=3)
    return name


async def produce(bootstrap: str, topic: str, events: list[CloudEvent | bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            value = event if isinstance(event, bytes) else event.to_json_bytes()
            key = b"k" if isinstance(event, bytes) else event.partitionkey.encode()
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def consuming(platform_db, topic: str) -> AsyncIterator[IdempotentConsumer]:
    producers = ProducerHolder(platform_db.settings)
    consumer = IdempotentConsumer(
        name=f"probe-{topic}",
        topics=[topic],
        handlers=probe_handlers(),
        session_factory=platform_db.sessions,
        producers=producers,
        settings=platform_db.settings,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield consumer
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await producers.close()


async def wait_for_applied(counts, platform_db, count: int, timeout_s: float = 10) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(found := await counts(platform_db)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"only {len(found)} applied"
        await asyncio.sleep(0.05)
    return found


async def test_a_redelivered_event_is_applied_once(
    make_event, applied_counts, platform_db, infra, topic, tenant
):
    event = make_event(tenant)
    await produce(infra.bootstrap, topic, [event, event, event])
    marker = make_event(tenant, "after the duplicates")
    await produce(infra.bootstrap, topic, [marker])
    duplicates_before = metrics.CONSUMER_DUPLICATES.labels(f"probe-{topic}")._value.get()

    async with consuming(platform_db, topic):
        found = await wait_for_applied(applied_counts, platform_db, 2)

    assert found == {event.id: 1, marker.id: 1}
    duplicates = metrics.CONSUMER_DUPLICATES.labels(f"probe-{topic}")._value.get()
    assert duplicates - duplicates_before == 2


async def test_a_restarted_consumer_does_not_apply_events_again(
    make_event, applied_counts, platform_db, infra, topic, tenant
):
    events = [make_event(tenant, f"c{n}") for n in range(10)]
    await produce(infra.bootstrap, topic, events)
    async with consuming(platform_db, topic):
        await wait_for_applied(applied_counts, platform_db, 10)
    # Manual assignment starts from the beginning again: everything is redelivered.
    async with consuming(platform_db, topic):
        await asyncio.sleep(1.0)
    assert set((await applied_counts(platform_db)).values()) == {1}


async def test_a_poison_event_goes_to_the_dead_letter_topic_and_the_consumer_moves_on(
    make_event, applied_counts, platform_db, infra, topic, tenant
):
    poison = make_event(tenant, "poison")
    healthy = make_event(tenant, "healthy")
    await produce(infra.bootstrap, topic, [poison, b"{not json", healthy])

    async with consuming(platform_db, topic):
        found = await wait_for_applied(applied_counts, platform_db, 1)
        # The events sit on different partitions: the poison may still be retrying.
        dead = await read_raw(infra.bootstrap, dlq_topic(topic), expect=2)
    assert found == {healthy.id: 1}

    by_value = {record.value: dict(record.headers) for record in dead}
    assert b"Poison" in by_value[poison.to_json_bytes()]["dlq-error"]
    assert by_value[b"{not json"]["dlq-topic"] == topic.encode()


async def test_a_gap_in_an_aggregate_sequence_is_detected(
    make_event, applied_counts, platform_db, infra, topic, tenant
):
    first = make_event(tenant, "v1", sequence=1)
    skipped = first.model_copy(update={"id": uuid.uuid4(), "sequence": 3})
    name = f"probe-{topic}"
    gaps_before = metrics.SEQUENCE_ANOMALIES.labels(name, "gap")._value.get()
    await produce(infra.bootstrap, topic, [first, skipped])
    async with consuming(platform_db, topic):
        await wait_for_applied(applied_counts, platform_db, 2)
    assert metrics.SEQUENCE_ANOMALIES.labels(name, "gap")._value.get() - gaps_before == 1


async def read_raw(bootstrap: str, topic: str, expect: int) -> list:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    records: list = []
    try:
        consumer.assign(
            [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        )
        deadline = asyncio.get_running_loop().time() + 10
        while len(records) < expect and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=100)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_events_of_an_aggregate_the_consumer_ignores_are_not_taken_for_gaps(
    make_event, applied_counts, platform_db, infra, topic, tenant
):
    from crm_contracts import new_event
    from crm_contracts.customers import CustomerUpdatedV1

    first = make_event(tenant, "v1", sequence=1)
    ignored = new_event(  # the probe handles created events only
        CustomerUpdatedV1(customer_id=first.data["customer_id"], changes={}, updated_by="u"),
        tenant=tenant,
        branch="north",
        partition_key=first.partitionkey,
        subject=first.subject,
        sequence=2,
    )
    third = first.model_copy(update={"id": uuid.uuid4(), "sequence": 3})
    name = f"probe-{topic}"
    gaps_before = metrics.SEQUENCE_ANOMALIES.labels(name, "gap")._value.get()
    await produce(infra.bootstrap, topic, [first, ignored, ignored, third])
    async with consuming(platform_db, topic):
        await wait_for_applied(applied_counts, platform_db, 2)
    assert metrics.SEQUENCE_ANOMALIES.labels(name, "gap")._value.get() == gaps_before
