"""Transactional outbox: events are written with the state change and published by a relay.

The relay is the only publisher of a database (a PostgreSQL advisory lock elects it), so rows
go out in `seq` order. A row is marked published only after the broker acknowledged it
(acks=all); a crash in between publishes it again, and consumers drop the duplicate by id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from crm_contracts import CLOUDEVENTS_JSON, CloudEvent, topic_for
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import metrics
from servicekit.kafka import ProducerHolder
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings
from servicekit.tables import OUTBOX_CHANNEL, outbox

log = get_logger(__name__)

# Any constant works: advisory locks are scoped to the current database.
RELAY_LOCK_KEY = 0x0C12_0B0C


async def add_to_outbox(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """Stage events in the caller's transaction; they are published after it commits."""
    if not events:
        return
    await session.execute(
        insert(outbox),
        [
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": topic_for(event),
                "partition_key": event.partitionkey,
                "tenant_id": event.tenantid,
                "envelope": event.model_dump(mode="json", exclude_none=True),
                "traceparent": event.traceparent,
            }
            for event in events
        ],
    )


def kafka_headers(row: asyncpg.Record) -> list[tuple[str, bytes]]:
    headers = [
        ("content-type", CLOUDEVENTS_JSON.encode()),
        ("ce_id", str(row["event_id"]).encode()),
        ("ce_type", row["event_type"].encode()),
        ("ce_tenantid", row["tenant_id"].encode()),
    ]
    if row["traceparent"]:
        headers.append(("traceparent", row["traceparent"].encode()))
    return headers


class OutboxRelay:
    """Publishes pending outbox rows in order, woken by LISTEN/NOTIFY, polling as a fallback."""

    def __init__(self, settings: ServiceSettings, producers: ProducerHolder) -> None:
        self._settings = settings
        self._producers = producers
        self._wake = asyncio.Event()
        self.is_leader = False

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: hold the relay lock and drain the outbox; survive outages."""
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._lead(stop)
                backoff = 0.2
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox_relay_db_unavailable", error=str(exc))
            except Exception:
                log.exception("outbox_relay_failed")
            self.is_leader = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 5.0)

    async def _lead(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._settings.sync_database_url)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                # Another replica publishes; stand by and take over if its session ends.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.outbox_poll_interval_s)
                if stop.is_set():
                    return
            self.is_leader = True
            await conn.add_listener(OUTBOX_CHANNEL, self._on_notify)
            last_check = 0.0
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                self._wake.clear()
                if loop.time() - last_check > self._settings.outbox_loss_check_interval_s:
                    await self.republish_if_broker_lost_events(conn)
                    last_check = loop.time()
                published = await self.publish_pending(conn)
                if published >= self._settings.outbox_batch_size:
                    continue  # more is waiting
                await self._sleep_until_woken(stop)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep_until_woken(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(
                waiters,
                timeout=self._settings.outbox_poll_interval_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def publish_pending(self, conn: asyncpg.Connection) -> int:
        """Publish one batch; returns how many rows the broker acknowledged."""
        rows = await conn.fetch(
            "SELECT seq, event_id, event_type, topic, partition_key, tenant_id, envelope,"
            " traceparent FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
            self._settings.outbox_batch_size,
        )
        service = self._settings.service_name
        if not rows:
            metrics.OUTBOX_BACKLOG.labels(service).set(0)
            return 0
        try:
            producer = await self._producers.get()
            # Hand the whole batch to the producer before awaiting: it batches per partition
            # and keeps one request in flight per broker, so per-key order holds.
            futures = [
                await producer.send(
                    row["topic"],
                    value=row["envelope"].encode(),
                    key=row["partition_key"].encode(),
                    headers=kafka_headers(row),
                )
                for row in rows
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
        except Exception as exc:
            results = [exc] * len(rows)
        acked = [
            row["seq"]
            for row, result in zip(rows, results, strict=True)
            if not isinstance(result, BaseException)
        ]
        failed = [
            (row["seq"], repr(result))
            for row, result in zip(rows, results, strict=True)
            if isinstance(result, BaseException)
        ]
        if acked:
            await self.mark_published(conn, acked)
            metrics.OUTBOX_PUBLISHED.labels(service).inc(len(acked))
        if failed:
            await conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",
                failed,
            )
            metrics.OUTBOX_FAILURES.labels(service).inc(len(failed))
            log.warning("outbox_publish_failed", rows=len(failed), error=failed[0][1])
            await self._producers.reset()
            backlog = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            metrics.OUTBOX_BACKLOG.labels(service).set(backlog)
            await asyncio.sleep(1.0)  # the broker is likely away; do not spin
            return len(acked)
        if len(rows) < self._settings.outbox_batch_size:
            metrics.OUTBOX_BACKLOG.labels(service).set(0)
        return len(acked)

    async def republish_if_broker_lost_events(self, conn: asyncpg.Connection) -> int:
        """The broker must hold at least the events this outbox still keeps as published:
        offsets only grow, so a topic whose partitions end below that count lost data (the
        embedded broker does on restart; a badly recovered cluster might). Then every kept
        row goes out again and consumers drop what they already applied. Returns the rows
        marked for republishing."""
        kept = dict(
            await conn.fetch(
                "SELECT topic, count(*) FROM outbox WHERE published_at IS NOT NULL GROUP BY topic"
            )
        )
        if not kept:
            return 0
        try:
            ends = await broker_end_offsets(self._settings, list(kept))
        except Exception as exc:  # broker away: publishing will tell, and retry
            log.debug("outbox_loss_check_skipped", error=repr(exc))
            return 0
        lost = {topic: n for topic, n in kept.items() if ends.get(topic, 0) < n}
        if not lost:
            return 0
        republished = await republish_since(conn)
        metrics.OUTBOX_BROKER_LOSSES.labels(self._settings.service_name).inc()
        log.error(
            "broker_lost_events",
            topics={t: {"kept": n, "broker_has": ends.get(t, 0)} for t, n in lost.items()},
            republishing=republished,
        )
        return republished

    async def mark_published(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        await conn.execute(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1"
            " WHERE seq = ANY($1::bigint[])",
            seqs,
        )


async def republish_since(conn: asyncpg.Connection, since: datetime | None = None) -> int:
    """Mark kept rows pending again, e.g. after the broker lost its data; returns the count."""
    status: str = await conn.execute(
        "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL"
        " AND ($1::timestamptz IS NULL OR created_at >= $1)",
        since,
    )
    return int(status.split()[-1])


async def broker_end_offsets(settings: ServiceSettings, topics: list[str]) -> dict[str, int]:
    """Sum of the end offsets (messages ever written) of each topic's partitions; a topic
    the broker does not know counts 0."""
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(), request_timeout_ms=5000, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        if any(ends.values()):
            ends = await _last_records_read(consumer, ends)
    finally:
        await consumer.stop()
    totals = dict.fromkeys(topics, 0)
    for tp, end in ends.items():
        totals[tp.topic] += end
    return totals


async def _last_records_read(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], timeout_s: float = 5.0
) -> dict[TopicPartition, int]:
    """The end offsets, checked by reading the record before each: the embedded broker
    (Tansu) answers ListOffsets with its last batch's base offset + 1, short of the batch's
    other records, so each partition's end is where its last batch really ends."""
    ends = dict(ends)
    pending = [tp for tp, end in ends.items() if end > 0]
    consumer.assign(pending)
    for tp in pending:
        consumer.seek(tp, ends[tp] - 1)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while pending and asyncio.get_running_loop().time() < deadline:
        fetched = await consumer.getmany(*pending, timeout_ms=500)
        for tp, records in fetched.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                pending.remove(tp)
    return ends
