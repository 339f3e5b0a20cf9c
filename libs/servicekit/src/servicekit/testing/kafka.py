"""Reading what really reached the broker, for assertions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from crm_contracts import CloudEvent


async def read_events(
    bootstrap: str,
    topic: str,
    *,
    where: Callable[[CloudEvent], bool] = lambda _: True,
    expect: int = 1,
    timeout_s: float = 10.0,
    settle_s: float = 0.0,
) -> list[CloudEvent]:
    """Events of `topic` (from the start) matching `where`: waits until `expect` are there,
    then `settle_s` longer so that a duplicate arriving late would be seen too. To check that
    nothing matches, pass `expect=0` with a `settle_s` long enough for it to have arrived."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
    )
    await consumer.start()
    found: list[CloudEvent] = []
    try:
        await consumer.topics()  # fetch metadata: partitions_for_topic reads the cache
        partitions = consumer.partitions_for_topic(topic) or set()
        assert partitions, f"topic {topic} does not exist"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        settle_until: float | None = None
        while loop.time() < deadline:
            if len(found) >= expect and settle_until is None:
                settle_until = loop.time() + settle_s
            if settle_until is not None and loop.time() >= settle_until:
                break
            batch = await consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    event = CloudEvent.from_json_bytes(record.value)
                    if where(event):
                        found.append(event)
    finally:
        await consumer.stop()
    return found
