"""Idempotent consumer: apply an event and record its id in one transaction, then commit.

A redelivered event finds its id in the inbox and is skipped. A handler that keeps failing
sends the event to `<topic>.dlq` with the error and the consumer moves on; an unreachable
database is not the event's fault, so that is retried until it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from crm_contracts import CloudEvent, InvalidEvent, dlq_topic
from crm_contracts.registry import spec_for_payload
from pydantic import BaseModel
from sqlalchemy import BigInteger, Text, Uuid, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit import metrics
from servicekit.kafka import ProducerHolder
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings
from servicekit.tracing import current_traceparent, new_traceparent

log = get_logger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


@dataclass
class EventHandlers:
    """Event type -> handler; types without a handler are passed over (not ours)."""

    by_type: dict[str, Handler] = field(default_factory=dict)

    def on(self, payload: type[BaseModel]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            event_type = spec_for_payload(payload).type
            if event_type in self.by_type:
                raise ValueError(f"two handlers for {event_type}")
            self.by_type[event_type] = handler
            return handler

        return register

    def get(self, event_type: str) -> Handler | None:
        return self.by_type.get(event_type)


# The bookkeeping of a batch in one round trip: remember the new events in the inbox (the
# ids returned are those not applied before), raise each aggregate's last sequence, and
# return the last sequences as they were before this batch (to report gaps and reordering).
# The text never changes, so it is compiled and prepared once per connection.
RECORD_BATCH = text(
    "WITH previous AS ("
    " SELECT source, aggregate, last_sequence FROM inbox_sequences"
    " WHERE consumer = :consumer AND (source, aggregate) IN"
    " (SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:aggregates AS text[])))"
    " ORDER BY source, aggregate FOR UPDATE"
    "), raised AS ("
    " INSERT INTO inbox_sequences (consumer, source, aggregate, last_sequence)"
    " SELECT :consumer, * FROM unnest(CAST(:sources AS text[]), CAST(:aggregates AS text[]),"
    " CAST(:maxima AS bigint[]))"
    " ON CONFLICT (consumer, source, aggregate) DO UPDATE"
    " SET last_sequence = GREATEST(inbox_sequences.last_sequence, excluded.last_sequence)"
    "), fresh AS ("
    ' INSERT INTO inbox (consumer, event_id, event_type, topic, partition, "offset")'
    " SELECT :consumer, * FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]),"
    " CAST(:topics AS text[]), CAST(:partitions AS integer[]), CAST(:offsets AS bigint[]))"
    " ON CONFLICT DO NOTHING RETURNING event_id"
    ")"
    " SELECT event_id, NULL AS source, NULL AS aggregate, NULL AS last_sequence FROM fresh"
    " UNION ALL SELECT NULL, source, aggregate, last_sequence FROM previous"
).columns(event_id=Uuid, source=Text, aggregate=Text, last_sequence=BigInteger)


# SQLSTATEs of a database that is away or busy, not of an event it cannot take: connection
# exceptions (class 08), shutting down or starting up (57P01-57P03: a restart), too many
# connections, and the serialization failures and deadlocks a retry resolves.
TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")


def _sqlstate(exc: BaseException) -> str:
    for error in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None)):
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
    return ""


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble (retry forever), as opposed to a handler that cannot apply."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return _sqlstate(exc).startswith(TRANSIENT_SQLSTATES)


class IdempotentConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        handlers: EventHandlers,
        session_factory: async_sessionmaker[AsyncSession],
        producers: ProducerHolder,
        settings: ServiceSettings,
        group_id: str | None = None,
    ) -> None:
        """`group_id=None` assigns every partition by hand (no group join; used by tests)."""
        self.name = name
        self._topics = list(topics)
        self._handlers = handlers
        self._sessions = session_factory
        self._producers = producers
        self._settings = settings
        self._group_id = group_id
        self._consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._consume(stop)
                backoff = 0.2
            except Exception as exc:
                log.warning("consumer_restarting", consumer=self.name, error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 5.0)

    def _new_consumer(self) -> AIOKafkaConsumer:
        options = dict(
            **self._settings.kafka_client_options(),
            client_id=f"crm-{self._settings.service_name}-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            max_poll_records=self._settings.consumer_batch_size,
            isolation_level="read_uncommitted",
        )
        if self._group_id is None:
            return AIOKafkaConsumer(**options)
        return AIOKafkaConsumer(*self._topics, group_id=self._group_id, **options)

    async def _consume(self, stop: asyncio.Event) -> None:
        consumer = self._new_consumer()
        await consumer.start()
        self._consumer = consumer
        try:
            if self._group_id is None:
                await consumer.topics()  # partitions_for_topic reads cached metadata
                partitions = [
                    TopicPartition(topic, p)
                    for topic in self._topics
                    for p in sorted(consumer.partitions_for_topic(topic) or ())
                ]
                consumer.assign(partitions)
                if self._settings.consumer_start_at_end:
                    await consumer.seek_to_end(*partitions)
                    for tp in partitions:  # resolve now: later events must not be skipped
                        await consumer.position(tp)
            self.ready.set()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                if batch:
                    # Every partition of the fetch in one transaction and one offset commit:
                    # each partition's order is kept, and the inbox makes partitions
                    # independent of each other.
                    records = [record for part in batch.values() for record in part]
                    if not await self._apply_batch(records, stop):
                        return  # stopping mid-batch: leave the rest uncommitted
                    if self._group_id is not None:
                        await consumer.commit(
                            {tp: part[-1].offset + 1 for tp, part in batch.items()}
                        )
                await self._report_lag(consumer)
        finally:
            self.ready.clear()
            self._consumer = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), timeout=10)

    async def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            lag = max(highwater - await consumer.position(tp), 0)
            metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)

    async def _apply_batch(self, records: list[ConsumerRecord], stop: asyncio.Event) -> bool:
        """Apply a fetched batch in one transaction (the common case: fast); if anything
        in it fails, roll it back and go one by one, so retries and the DLQ see one event."""
        try:
            parsed = [(record, CloudEvent.from_json_bytes(record.value)) for record in records]
        except InvalidEvent:
            pass  # the one-by-one path dead-letters it
        else:
            work = [
                (record, event, handler)
                for record, event in parsed
                if (handler := self._handlers.get(event.type)) is not None
            ]
            try:
                async with self._sessions() as session, session.begin():
                    applied = await self._apply_many(session, work, [e for _, e in parsed])
            except Exception as exc:
                log.info("consumer_batch_fallback", consumer=self.name, error=repr(exc))
            else:
                for event in applied:
                    metrics.CONSUMER_APPLIED.labels(self.name, event.type).inc()
                return True
        for record in records:
            if not await self._handle(record, stop):
                return False
        return True

    async def _handle(self, record: ConsumerRecord, stop: asyncio.Event) -> bool:
        """Apply one record; False only when stopping before it could be applied."""
        try:
            event = CloudEvent.from_json_bytes(record.value)
        except InvalidEvent as exc:
            await self._dead_letter(record, exc)
            return True
        handler = self._handlers.get(event.type)
        if handler is None:
            return True
        with structlog.contextvars.bound_contextvars(
            event_id=str(event.id), event_type=event.type, tenant=event.tenantid
        ):
            return await self._apply_with_retries(event, record, handler, stop)

    async def _apply_with_retries(
        self, event: CloudEvent, record: ConsumerRecord, handler: Handler, stop: asyncio.Event
    ) -> bool:
        failures = 0
        while True:
            try:
                await self._apply(event, record, handler)
                return True
            except Exception as exc:
                if is_transient(exc):
                    log.warning("consumer_db_unavailable", consumer=self.name, error=repr(exc))
                else:
                    failures += 1
                    log.warning(
                        "consumer_handler_failed",
                        consumer=self.name,
                        event_id=str(event.id),
                        event_type=event.type,
                        attempt=failures,
                        error=repr(exc),
                    )
                    if failures >= self._settings.consumer_max_attempts:
                        await self._dead_letter(record, exc)
                        return True
                delay = self._settings.consumer_retry_backoff_s * 2 ** min(failures, 6)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(delay, 10.0))
                if stop.is_set():
                    return False

    async def _apply_many(
        self,
        session: AsyncSession,
        work: list[tuple[ConsumerRecord, CloudEvent, Handler]],
        seen: list[CloudEvent],
    ) -> list[CloudEvent]:
        """The batch path: one bookkeeping statement for the whole batch (inbox, sequences),
        then each new event's handler, all in the caller's transaction."""
        new_ids = await self._record(session, work, seen)
        duplicates = len(work) - len(new_ids)
        if duplicates:
            metrics.CONSUMER_DUPLICATES.labels(self.name).inc(duplicates)
        fresh: list[tuple[CloudEvent, Handler]] = []
        for _, event, handler in work:
            if event.id in new_ids:
                new_ids.discard(event.id)  # a copy later in the same batch is a duplicate
                fresh.append((event, handler))
        for event, handler in fresh:
            token = current_traceparent.set(new_traceparent(event.traceparent))
            try:
                await handler(session, event)
            finally:
                current_traceparent.reset(token)
        return [event for event, _ in fresh]

    async def _apply(self, event: CloudEvent, record: ConsumerRecord, handler: Handler) -> None:
        async with self._sessions() as session, session.begin():
            applied = await self._apply_in(session, event, record, handler)
        if applied:
            metrics.CONSUMER_APPLIED.labels(self.name, event.type).inc()

    async def _apply_in(
        self, session: AsyncSession, event: CloudEvent, record: ConsumerRecord, handler: Handler
    ) -> bool:
        """Record the event in the inbox and apply it, in the caller's transaction; False for
        an event applied before (a redelivery)."""
        if not await self._record(session, [(record, event, handler)], [event]):
            metrics.CONSUMER_DUPLICATES.labels(self.name).inc()
            return False
        token = current_traceparent.set(new_traceparent(event.traceparent))
        try:
            await handler(session, event)
        finally:
            current_traceparent.reset(token)
        return True

    async def _record(
        self,
        session: AsyncSession,
        work: list[tuple[ConsumerRecord, CloudEvent, Handler]],
        seen: list[CloudEvent],
    ) -> set[UUID]:
        """Inbox rows for `work` and sequences for every event `seen` (RECORD_BATCH); the
        ids of the events in `work` not applied before. Sequences are tracked for events no
        handler wants too: an aggregate's events this consumer ignores are not gaps."""
        maxima: dict[tuple[str, str], int] = {}
        for event in seen:
            key = (event.source, event.subject or event.partitionkey)
            maxima[key] = max(maxima.get(key, 0), event.sequence)
        keys = sorted(maxima)
        rows = await session.execute(
            RECORD_BATCH,
            {
                "consumer": self.name,
                "sources": [k[0] for k in keys],
                "aggregates": [k[1] for k in keys],
                "maxima": [maxima[k] for k in keys],
                "ids": [event.id for _, event, _ in work],
                "types": [event.type for _, event, _ in work],
                "topics": [record.topic for record, _, _ in work],
                "partitions": [record.partition for record, _, _ in work],
                "offsets": [record.offset for record, _, _ in work],
            },
        )
        new_ids: set[UUID] = set()
        last: dict[tuple[str, str], int] = {}
        for event_id, source, aggregate, last_sequence in rows:
            if event_id is not None:
                new_ids.add(event_id)
            else:
                last[(source, aggregate)] = last_sequence
        self._report_anomalies(seen, last, fresh=new_ids)
        return new_ids

    def _report_anomalies(
        self, events: list[CloudEvent], last: dict[tuple[str, str], int], *, fresh: set[UUID]
    ) -> None:
        """Compare each event's sequence with the last one seen for its aggregate: gaps and
        reordering are logged and counted. A sequence at or below the last is reported only
        for `fresh` events: for the others it is a redelivery."""
        for event in events:
            key = (event.source, event.subject or event.partitionkey)
            seen = last.get(key)
            behind = seen is not None and event.sequence <= seen
            if event.sequence != (seen or 0) + 1 and (not behind or event.id in fresh):
                kind = "out_of_order" if behind else "gap"
                metrics.SEQUENCE_ANOMALIES.labels(self.name, kind).inc()
                log.warning(
                    "event_sequence_anomaly",
                    consumer=self.name,
                    kind=kind,
                    aggregate=key[1],
                    expected=(seen or 0) + 1,
                    got=event.sequence,
                    event_id=str(event.id),
                )
            last[key] = max(seen or 0, event.sequence)

    async def _dead_letter(self, record: ConsumerRecord, exc: BaseException) -> None:
        producer = await self._producers.get()
        headers = [
            *list(record.headers or ()),
            ("dlq-error", repr(exc)[:2000].encode()),
            ("dlq-topic", record.topic.encode()),
            ("dlq-partition", str(record.partition).encode()),
            ("dlq-offset", str(record.offset).encode()),
            ("dlq-consumer", self.name.encode()),
        ]
        await producer.send_and_wait(
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        metrics.CONSUMER_DLQ.labels(self.name).inc()
        log.error(
            "event_dead_lettered",
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=repr(exc),
        )
