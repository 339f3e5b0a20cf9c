"""Kafka clients configured from settings, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings

log = get_logger(__name__)


def create_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka_client_options(),
        client_id=f"crm-{settings.service_name}",
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        compression_type=settings.kafka_compression,
        request_timeout_ms=10_000,
        linger_ms=0,
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], *, partitions: int, replication: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="crm-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        if wanted:
            # Another process may create them at the same moment; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(t, partitions, replication) for t in wanted])
        return wanted
    finally:
        await admin.close()


async def wait_for_broker(bootstrap: str, *, timeout_s: float = 30.0) -> None:
    """Poll until the broker answers a metadata request."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        finally:
            await admin.close()


class ProducerHolder:
    """One producer per process, started on first use and rebuilt after a broker failure.

    Start-up must not need the broker: writes go to the outbox while it is away.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = create_producer(self._settings)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def reset(self) -> None:
        """Drop a producer that failed; the next `get()` connects afresh."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=5)
            except Exception as exc:  # a broken producer may fail to stop; it is gone anyway
                log.debug("producer_stop_failed", error=str(exc))

    async def close(self) -> None:
        await self.reset()
