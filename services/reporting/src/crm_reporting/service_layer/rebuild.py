"""Rebuild: drop the read models and build them again from the topics, from offset zero.

The live consumer keeps running the whole time and the reports keep answering from the
current read models until the new ones are complete:

1. *prepare*: a schema `reporting_rebuild` gets an empty copy of every read-model table and
   of the consumer's inbox and sequence tables (same columns, keys and index names).
2. *replay*: a replay consumer (manual assignment, every partition of every topic, from the
   beginning) applies every event into that schema through the same handlers, in large
   batches, recording each event in the new inbox under the live consumer's name, until it
   reaches the high watermarks taken at the start (the progress `GET /rebuilds/{id}` shows).
3. *catch_up*: once more to the current end of the topics.
4. *swap*: one transaction locks the current tables (the inbox first: the live consumer
   waits at its next batch, so nobody deadlocks), reads the last offset the live consumer
   applied on each partition, lets the replay pass it, then moves the current tables to
   `reporting_previous` and the new ones to `public`. After the commit the live consumer
   goes on from its own position into the new tables; what the replay applied already is
   in the new inbox, so nothing is applied twice and nothing is missed.
5. *done*: the previous tables are dropped.

The forecast snapshots, the quality bar and the rebuild records are not read models: they
stay. A rebuild that fails before the swap leaves the current read models untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from crm_contracts import CloudEvent, InvalidEvent, all_specs
from pydantic import BaseModel
from servicekit.consumer import EventHandlers, is_transient
from servicekit.errors import Conflict, NotFound
from servicekit.logging import get_logger
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from crm_reporting.adapters import orm
from crm_reporting.adapters.batch import PendingBatch
from crm_reporting.config import ReportingSettings
from crm_reporting.domain.projections import PROJECTIONS, project
from crm_reporting.entrypoints.api import schemas as s

log = get_logger(__name__)

NEW_SCHEMA = "reporting_rebuild"
OLD_SCHEMA = "reporting_previous"
# The inbox first: see the module docstring (swap).
SWAPPED = ("inbox", "inbox_sequences", *(t.name for t in orm.READ_MODEL_TABLES))
MAX_ATTEMPTS = 3
SWAP_CATCH_UP_S = 20.0

# Tens of thousands of rows per window: each column travels as one text, its values joined
# by a separator none of them can hold (ids, validated event types, topic names, numbers:
# a comma; sources and subjects, free text: the unit separator, those holding it are left
# out), which the driver sends as is; arrays of that many elements cost it more CPU than
# the rest of the window's writes.
_INBOX = text(
    'INSERT INTO inbox (consumer, event_id, event_type, topic, partition, "offset")'
    " SELECT :consumer, * FROM unnest("
    " CAST(string_to_array(:ids, ',') AS uuid[]), string_to_array(:types, ','),"
    " string_to_array(:topics, ','), CAST(string_to_array(:partitions, ',') AS int[]),"
    " CAST(string_to_array(:offsets, ',') AS bigint[]))"
    " ON CONFLICT DO NOTHING"
)
_SEQUENCES = text(
    "INSERT INTO inbox_sequences (consumer, source, aggregate, last_sequence)"
    " SELECT :consumer, * FROM unnest(string_to_array(:sources, chr(31)),"
    " string_to_array(:aggregates, chr(31)),"
    " CAST(string_to_array(:sequences, chr(31)) AS bigint[]))"
    " ON CONFLICT (consumer, source, aggregate) DO UPDATE"
    " SET last_sequence = GREATEST(inbox_sequences.last_sequence, excluded.last_sequence)"
)


UNIT = "\x1f"


def _joined(values: Iterable[object], separator: str = ",") -> str:
    return separator.join(map(str, values))


# --- the rebuild records -------------------------------------------------------------------


async def start(
    sessions: async_sessionmaker[AsyncSession], *, by: str, stale_after_s: float
) -> UUID:
    """Record a new running rebuild; 409 while another one runs (a silent one is dead)."""
    now = datetime.now(UTC)
    table = orm.rebuilds
    async with sessions() as session, session.begin():
        await session.execute(
            update(table)
            .where(
                table.c.status == "running",
                table.c.heartbeat_at < now - timedelta(seconds=stale_after_s),
            )
            .values(status="failed", finished_at=now, error="its process stopped")
        )
    rebuild_id = uuid4()
    try:
        async with sessions() as session, session.begin():
            await session.execute(
                table.insert().values(
                    rebuild_id=rebuild_id,
                    requested_by=by,
                    status="running",
                    phase="prepare",
                    started_at=now,
                    heartbeat_at=now,
                )
            )
    except IntegrityError:
        raise Conflict("A rebuild is running already; follow it at GET /rebuilds.") from None
    return rebuild_id


def _read(row: Any) -> s.RebuildRead:
    end = row["finished_at"] or row["heartbeat_at"]
    seconds = (end - row["started_at"]).total_seconds()
    total = int(row["total"])
    progress = (
        1.0 if row["status"] == "done" else min(int(row["consumed"]) / total, 1.0) if total else 0.0
    )
    return s.RebuildRead(
        rebuild_id=row["rebuild_id"],
        status=row["status"],
        phase=row["phase"],
        applied=row["applied"],
        consumed=row["consumed"],
        total=total,
        skipped=row["skipped"],
        progress=progress,
        events_per_second=int(row["consumed"]) / seconds if seconds > 0 else None,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
    )


async def read(session: AsyncSession, rebuild_id: UUID) -> s.RebuildRead:
    row = (
        await session.execute(select(orm.rebuilds).where(orm.rebuilds.c.rebuild_id == rebuild_id))
    ).first()
    if row is None:
        raise NotFound(f"No rebuild {rebuild_id}.")
    return _read(row._mapping)


# --- the replay -----------------------------------------------------------------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while windows are applied. A window allocates some
    10^5 short-lived containers (patches, states, rows) that reference counting frees; each
    time they trip the collector's thresholds it scans the whole heap for cycles there are
    none of (measured: about 40 µs per event, a third of the replay's CPU)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Window:
    """A window's records made ready to write: the patches of every event, the events to
    record in the inbox, and every parsed event (for the sequences)."""

    __slots__ = ("inbox", "pending", "records", "seen")

    def __init__(self, records: Sequence[ConsumerRecord]) -> None:
        self.records = records
        self.pending = PendingBatch()
        self.inbox: list[tuple[ConsumerRecord, CloudEvent]] = []
        self.seen: list[CloudEvent] = []


class Replay:
    """Applies windows of the topics' records into the schema its engine's search path names
    first, one transaction per window (tens of thousands of events from every partition).

    Every projection is idempotent (see `domain.state`), so a window applies each event it
    holds, duplicates included, and records them all in the inbox (a copy already there is
    passed over): the live consumer finds them there after the swap. An event whose payload
    does not validate is left out and counted, as the live consumer dead-letters it.
    """

    def __init__(
        self,
        *,
        consumer_name: str,
        handlers: EventHandlers,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self.consumer_name = consumer_name
        self.sessions = sessions
        self.payloads: dict[str, type[BaseModel]] = {
            spec.type: spec.payload
            for spec in all_specs()
            if spec.payload in PROJECTIONS and handlers.get(spec.type) is not None
        }
        self.applied = 0
        self.consumed = 0
        self.skipped = 0

    def prepare(self, records: Sequence[ConsumerRecord]) -> Window:
        """Parse and project a window (CPU only: runs while the previous window is being
        written). An event that does not parse or validate is left out and counted."""
        self.consumed += len(records)
        return self._prepare(records)

    def _prepare(self, records: Sequence[ConsumerRecord], *, again: bool = False) -> Window:
        """(`again`: a half of a refused window, whose bad events were counted already.)"""
        window = Window(records)
        for record in records:
            try:
                event = CloudEvent.from_json_bytes(record.value)
            except InvalidEvent as exc:
                if not again:
                    self._skip(record, exc)
                continue
            window.seen.append(event)
            payload = self.payloads.get(event.type)
            if payload is None:
                continue
            try:
                window.pending.add(project(event, payload))
            except Exception as exc:
                if not again:
                    self._skip(record, exc)
                continue
            window.inbox.append((record, event))
        return window

    async def write(self, window: Window) -> None:
        """Write a prepared window in one transaction. If the database refuses it (not for
        being unreachable: a value it cannot store), write each half on its own, down to the
        one event at fault, which is left out and counted: the live consumer dead-letters it."""
        try:
            await self._write(window.pending, window.inbox, window.seen)
        except Exception as exc:
            if is_transient(exc):
                raise
            records = window.records
            if len(records) == 1:
                self._skip(records[0], exc)
                return
            half = len(records) // 2
            log.info("rebuild_window_split", records=len(records), error=repr(exc)[:300])
            await self.write(self._prepare(records[:half], again=True))
            await self.write(self._prepare(records[half:], again=True))
            return
        self.applied += len(window.inbox)

    async def _write(
        self,
        pending: PendingBatch,
        inbox: Sequence[tuple[ConsumerRecord, CloudEvent]],
        seen: Sequence[CloudEvent],
    ) -> None:
        """One transaction; retried while the database is unreachable (a few times)."""
        for attempt in itertools.count(1):
            try:
                async with self.sessions() as session, session.begin():
                    await self._inbox(session, inbox)
                    await self._sequences(session, seen)
                    await pending.write(session)
                return
            except Exception as exc:
                if not is_transient(exc) or attempt >= MAX_ATTEMPTS:
                    raise
                log.warning("rebuild_database_unavailable", error=repr(exc))
                await asyncio.sleep(attempt)

    def _skip(self, record: ConsumerRecord, exc: BaseException) -> None:
        self.skipped += 1
        log.warning(
            "rebuild_event_skipped",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=repr(exc)[:500],
        )

    async def _inbox(
        self, session: AsyncSession, events: Sequence[tuple[ConsumerRecord, CloudEvent]]
    ) -> None:
        if not events:
            return
        await session.execute(
            _INBOX,
            {
                "consumer": self.consumer_name,
                "ids": _joined(e.id for _, e in events),
                "types": _joined(e.type for _, e in events),
                "topics": _joined(r.topic for r, _ in events),
                "partitions": _joined(r.partition for r, _ in events),
                "offsets": _joined(r.offset for r, _ in events),
            },
        )

    async def _sequences(self, session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        """The highest sequence seen per aggregate, as the live consumer keeps it."""
        highest: dict[tuple[str, str], int] = {}
        for event in events:
            key = (event.source, event.subject or event.partitionkey)
            if UNIT in key[0] or UNIT in key[1]:
                continue
            highest[key] = max(highest.get(key, 0), event.sequence)
        if not highest:
            return
        keys = sorted(highest)
        await session.execute(
            _SEQUENCES,
            {
                "consumer": self.consumer_name,
                "sources": _joined((k[0] for k in keys), UNIT),
                "aggregates": _joined((k[1] for k in keys), UNIT),
                "sequences": _joined((highest[k] for k in keys), UNIT),
            },
        )


# --- the rebuild --------------------------------------------------------------------------


async def _copy_tables(session: AsyncSession) -> None:
    """An empty twin of every swapped table in NEW_SCHEMA: columns, keys, indexes, names."""
    await session.execute(text(f"DROP SCHEMA IF EXISTS {NEW_SCHEMA} CASCADE"))
    await session.execute(text(f"CREATE SCHEMA {NEW_SCHEMA}"))
    for table in SWAPPED:
        await session.execute(
            text(
                f'CREATE TABLE {NEW_SCHEMA}."{table}" (LIKE public."{table}" INCLUDING DEFAULTS'
                " INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING CONSTRAINTS"
                ")"
            )
        )
        constraints = await session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u')"
            ),
            {"t": f'public."{table}"'},
        )
        for name, definition in constraints.all():
            await session.execute(
                text(f'ALTER TABLE {NEW_SCHEMA}."{table}" ADD CONSTRAINT "{name}" {definition}')
            )
        indexes = await session.execute(
            text(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indrelid = CAST(:t AS regclass) AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            ),
            {"t": f'public."{table}"'},
        )
        for (definition,) in indexes.all():
            moved = re.sub(
                r" ON (ONLY )?\S+ USING ",
                f' ON {NEW_SCHEMA}."{table}" USING ',
                definition,
                count=1,
            )
            await session.execute(text(moved))


class Rebuild:
    def __init__(
        self,
        rebuild_id: UUID,
        *,
        settings: ReportingSettings,
        sessions: async_sessionmaker[AsyncSession],
        handlers: EventHandlers,
        topics: Sequence[str],
        consumer_name: str,
    ) -> None:
        self.rebuild_id = rebuild_id
        self.settings = settings
        self.sessions = sessions
        self.handlers = handlers
        self.topics = list(topics)
        self.consumer_name = consumer_name
        self.replay: Replay | None = None
        self.positions: dict[TopicPartition, int] = {}
        self.total = 0
        self._reported = 0.0

    async def run(self) -> None:
        engine: AsyncEngine | None = None
        consumer: AIOKafkaConsumer | None = None
        try:
            await self._phase("prepare")
            async with self.sessions() as session, session.begin():
                await _copy_tables(session)
            engine = create_async_engine(
                self.settings.database_url,
                pool_size=2,
                max_overflow=0,
                connect_args={"server_settings": {"search_path": f"{NEW_SCHEMA}, public"}},
            )
            self.replay = Replay(
                consumer_name=self.consumer_name,
                handlers=self.handlers,
                sessions=async_sessionmaker(engine, expire_on_commit=False),
            )
            consumer = await self._consumer()
            partitions = sorted(consumer.assignment())
            starts = await consumer.beginning_offsets(partitions)
            ends = await consumer.end_offsets(partitions)
            self.positions = dict(starts)
            self.total = sum(ends[tp] - starts[tp] for tp in partitions)
            await self._phase("replay")
            await self._until(consumer, ends)
            replayed = self.total
            await self._phase("catch_up")
            await self._analyze()
            await self._until(consumer, await consumer.end_offsets(partitions))
            self.total = replayed  # progress counts what was there when it started
            await self._phase("swap")
            await self._swap(consumer)
            await self._phase("done")
            async with self.sessions() as session, session.begin():
                await session.execute(text(f"DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE"))
                await session.execute(text(f"DROP SCHEMA IF EXISTS {NEW_SCHEMA} CASCADE"))
            await self._finish("done", None)
            log.info("rebuild_done", rebuild=str(self.rebuild_id), applied=self._applied)
        except asyncio.CancelledError:
            await self._finish("failed", "the service stopped during the rebuild")
            raise
        except Exception as exc:
            log.exception("rebuild_failed", rebuild=str(self.rebuild_id))
            await self._finish("failed", repr(exc)[:2000])
        finally:
            if consumer is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(consumer.stop(), timeout=10)
            if engine is not None:
                await engine.dispose()

    @property
    def _applied(self) -> int:
        return self.replay.applied if self.replay is not None else 0

    async def _consumer(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            **self.settings.kafka_client_options(),
            client_id=f"crm-reporting-rebuild-{self.rebuild_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.replay_fetch_max_wait_ms,
            max_poll_records=min(self.settings.replay_batch_size, 5000),
            max_partition_fetch_bytes=8 * 1024 * 1024,
            isolation_level="read_uncommitted",
        )
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(topic, p)
                for topic in self.topics
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
        except BaseException:
            await consumer.stop()
            raise
        return consumer

    async def _until(
        self,
        consumer: AIOKafkaConsumer,
        targets: Mapping[TopicPartition, int],
        *,
        to_high_watermark: bool = True,
    ) -> None:
        """Apply records, in windows, until every partition reaches its goal: its target, or
        (`to_high_watermark`) the high watermark its first fetch in this call reported if
        that is further. The embedded broker's ListOffsets answers the last record batch's
        base offset + 1, short of the end; fetch responses carry the true high watermark."""
        with _collector_paused():
            await self._pipelined(consumer, targets, to_high_watermark)

    async def _pipelined(
        self,
        consumer: AIOKafkaConsumer,
        targets: Mapping[TopicPartition, int],
        to_high_watermark: bool,
    ) -> None:
        """`_until`'s loop. A window is written while the next one is fetched and prepared:
        the database's work and this process's overlap instead of taking turns (each window
        still commits after the one before it)."""
        assert self.replay is not None
        replay = self.replay
        goals = dict(targets)
        observed: set[TopicPartition] = set()
        window: list[ConsumerRecord] = []
        size = self.settings.replay_batch_size
        writing: asyncio.Task[None] | None = None
        windows = 0
        try:
            while True:
                fetched = await consumer.getmany(timeout_ms=200, max_records=size)
                for tp, records in fetched.items():
                    if records:
                        window += records
                        self.positions[tp] = max(self.positions[tp], records[-1].offset + 1)
                if to_high_watermark:
                    for tp in goals.keys() - observed:
                        high = consumer.highwater(tp)
                        if high is not None:
                            observed.add(tp)
                            if high > goals[tp]:
                                self.total += high - goals[tp]
                                goals[tp] = high
                behind = [tp for tp, goal in goals.items() if self.positions[tp] < goal]
                if not fetched:
                    for tp in behind:  # nothing came: the position may still have moved on
                        self.positions[tp] = max(self.positions[tp], await consumer.position(tp))
                if window and (len(window) >= size or not behind or not fetched):
                    prepared = replay.prepare(window)
                    window = []
                    if writing is not None:
                        await writing
                    windows += 1
                    if windows % 16 == 0:  # now and then, for cycles (some 8% of CPU each time)
                        gc.collect(0)
                    writing = asyncio.create_task(replay.write(prepared))
                    await self._heartbeat()
                if not behind and not window:
                    break
            if writing is not None:
                await writing
                writing = None
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                with contextlib.suppress(BaseException):
                    await writing

    async def _analyze(self) -> None:
        """Statistics for the new tables (they keep them through the swap): without them the
        planner takes each for a few rows, and the reports' first plans after a rebuild
        were nested loops over tens of thousands of rows."""
        async with self.sessions() as session, session.begin():
            for table in SWAPPED:
                await session.execute(text(f'ANALYZE {NEW_SCHEMA}."{table}"'))

    async def _swap(self, consumer: AIOKafkaConsumer) -> None:
        """Lock the current tables, let the replay pass what the live consumer applied, then
        put the new tables in their place; all in one transaction."""
        tables = ", ".join(f'public."{t}"' for t in SWAPPED)
        async with self.sessions() as session, session.begin():
            await session.execute(text("SET LOCAL lock_timeout = '30s'"))
            await session.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
            applied = await session.execute(
                text(
                    'SELECT topic, partition, max("offset") FROM public.inbox'
                    " WHERE consumer = :c GROUP BY topic, partition"
                ),
                {"c": self.consumer_name},
            )
            live = {TopicPartition(t, p): int(o) + 1 for t, p, o in applied.all()}
            targets = {tp: offset for tp, offset in live.items() if tp in self.positions}
            await asyncio.wait_for(
                self._until(consumer, targets, to_high_watermark=False), SWAP_CATCH_UP_S
            )
            await session.execute(text(f"DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE"))
            await session.execute(text(f"CREATE SCHEMA {OLD_SCHEMA}"))
            for table in SWAPPED:
                await session.execute(text(f'ALTER TABLE public."{table}" SET SCHEMA {OLD_SCHEMA}'))
            for table in SWAPPED:
                await session.execute(text(f'ALTER TABLE {NEW_SCHEMA}."{table}" SET SCHEMA public'))

    async def _phase(self, phase: str) -> None:
        await self._save(phase=phase)

    async def _heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._reported >= 1.0:
            self._reported = now
            await self._save()

    async def _save(self, **values: Any) -> None:
        replay = self.replay
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(orm.rebuilds)
                .where(orm.rebuilds.c.rebuild_id == self.rebuild_id)
                .values(
                    heartbeat_at=datetime.now(UTC),
                    total=self.total,
                    applied=replay.applied if replay else 0,
                    consumed=replay.consumed if replay else 0,
                    skipped=replay.skipped if replay else 0,
                    **values,
                )
            )

    async def _finish(self, status: str, error: str | None) -> None:
        with contextlib.suppress(Exception):
            if status == "failed":
                async with self.sessions() as session, session.begin():
                    await session.execute(text(f"DROP SCHEMA IF EXISTS {NEW_SCHEMA} CASCADE"))
            await self._save(status=status, error=error, finished_at=datetime.now(UTC))


class Rebuilds:
    """The rebuild running in this process (at most one), stopped with the service."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None

    def launch(self, rebuild: Rebuild) -> None:
        self.task = asyncio.create_task(rebuild.run(), name=f"rebuild-{rebuild.rebuild_id}")

    async def close(self) -> None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
