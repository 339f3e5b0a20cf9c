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

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from crm_contracts import CloudEvent, InvalidEvent, dlq_topic
from crm_contracts.registry import spec_for_payload
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit import metrics
from servicekit.kafka import ProducerHolder
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings
from servicekit.tables import inbox, inbox_sequences
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


def is_transient(exc: BaseException) -> bool:
    """Infrastructure trouble (retry forever), as opposed to a handler that cannot apply."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


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
            self.ready.set()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        if not await self._handle(record, stop):
                            return  # stopping mid-batch: leave the rest uncommitted
                    if self._group_id is not None:
                        await consumer.commit({tp: records[-1].offset + 1})
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
            token = current_traceparent.set(new_traceparent(event.traceparent))
            try:
                return await self._apply_with_retries(event, record, handler, stop)
            finally:
                current_traceparent.reset(token)

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

    async def _apply(self, event: CloudEvent, record: ConsumerRecord, handler: Handler) -> None:
        async with self._sessions() as session, session.begin():
            first_time = await session.scalar(
                insert(inbox)
                .values(
                    consumer=self.name,
                    event_id=event.id,
                    event_type=event.type,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            )
            if first_time is None:
                metrics.CONSUMER_DUPLICATES.labels(self.name).inc()
                return
            await self._track_sequence(session, event)
            await handler(session, event)
        metrics.CONSUMER_APPLIED.labels(self.name, event.type).inc()

    async def _track_sequence(self, session: AsyncSession, event: CloudEvent) -> None:
        aggregate = event.subject or event.partitionkey
        key = {"consumer": self.name, "source": event.source, "aggregate": aggregate}
        last = await session.scalar(
            select(inbox_sequences.c.last_sequence).filter_by(**key).with_for_update()
        )
        expected = (last or 0) + 1
        if event.sequence != expected:
            kind = "out_of_order" if last is not None and event.sequence <= last else "gap"
            metrics.SEQUENCE_ANOMALIES.labels(self.name, kind).inc()
            log.warning(
                "event_sequence_anomaly",
                consumer=self.name,
                kind=kind,
                aggregate=aggregate,
                expected=expected,
                got=event.sequence,
                event_id=str(event.id),
            )
        await session.execute(
            insert(inbox_sequences)
            .values(**key, last_sequence=event.sequence)
            .on_conflict_do_update(
                index_elements=["consumer", "source", "aggregate"],
                set_={
                    "last_sequence": text(
                        "GREATEST(inbox_sequences.last_sequence, excluded.last_sequence)"
                    )
                },
            )
        )

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
