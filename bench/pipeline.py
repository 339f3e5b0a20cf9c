"""3. Outbox relay and consumer throughput, next to raw aiokafka on the same broker.

On a fresh embedded PostgreSQL and broker (servicekit.testing.infra.embedded_infra):
- a customers database gets a backlog of `customer.created` outbox rows (COPY, relay off);
- raw produce: aiokafka with the relay's producer settings (acks=all, gzip, linger 0)
  sends the same envelopes, keys and headers to a scratch topic, all in flight at once;
- relay: servicekit's OutboxRelay drains the backlog (batches of 500, mark published);
- the customers topic is topped up with more events by the raw producer (the rebuild size);
- raw consume: aiokafka reads the whole topic with the consumer's fetch settings;
- rebuild: the reporting service (in this process, manual assignment, from the earliest
  offset) applies the topic to its read model through servicekit's IdempotentConsumer,
  time-boxed; events applied per second is the figure.
The relay and the rebuilding consumer run in this benchmark process, so its CPU is theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from crm_contracts import CUSTOMERS_EVENTS, DEFAULT_PARTITIONS, new_event
from crm_contracts.customers import CustomerCreatedV1, LifecycleStage
from servicekit.kafka import ProducerHolder, create_producer, ensure_topics
from servicekit.outbox import OutboxRelay
from servicekit.testing.infra import TestInfra

from bench import procstat, profiling
from bench.context import Context, load_cell
from bench.report import Row, fmt_rate

SECTION = "3 relay, consumer"
RAW_TOPIC = "bench.raw-produce"
EVENT_PLACEHOLDER = "00000000-0000-4000-8000-00000000e1d0"
CUSTOMER_PLACEHOLDER = "00000000-0000-4000-8000-00000000c0de"


class Envelopes:
    """customer.created envelopes as the customers service writes them, made fast: a few
    templates from crm_contracts, with fresh ids put in."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.templates: list[str] = []
        for branch in ("north", "south"):
            for stage in (LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.CUSTOMER):
                event = new_event(
                    CustomerCreatedV1(
                        customer_id=uuid.UUID(CUSTOMER_PLACEHOLDER),
                        name="Hangzhou Xinyuan Trading Co., Ltd.",
                        kind="company",
                        lifecycle_stage=stage,
                        owner_id=f"{branch}-rep",
                        category="distributor",
                        industry="wholesale",
                        phone="+86 571 8888 6666",
                        email="purchasing@xinyuan.example.cn",
                        created_by=f"{branch}-rep",
                    ),
                    tenant=tenant,
                    branch=branch,
                    partition_key=CUSTOMER_PLACEHOLDER,
                    subject=f"customer/{CUSTOMER_PLACEHOLDER}",
                    sequence=1,
                    id=uuid.UUID(EVENT_PLACEHOLDER),
                )
                # PostgreSQL's jsonb text form: the bytes the relay reads back and sends.
                self.templates.append(json.dumps(event.model_dump(mode="json", exclude_none=True)))
        self.event_type = event.type

    def make(self, n: int) -> Iterator[tuple[uuid.UUID, str, str]]:
        """(event id, partition key, envelope JSON) n times."""
        templates = self.templates
        for i in range(n):
            event_id, customer_id = uuid.uuid4(), str(uuid.uuid4())
            envelope = (
                templates[i % len(templates)]
                .replace(EVENT_PLACEHOLDER, str(event_id))
                .replace(CUSTOMER_PLACEHOLDER, customer_id)
            )
            yield event_id, customer_id, envelope

    def headers(self, event_id: uuid.UUID) -> list[tuple[str, bytes]]:
        return [
            ("content-type", b"application/cloudevents+json"),
            ("ce_id", str(event_id).encode()),
            ("ce_type", self.event_type.encode()),
            ("ce_tenantid", self.tenant.encode()),
        ]


@dataclass
class Rate:
    count: int
    seconds: float
    usage: procstat.Usage | None = None

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def _groups(infra: TestInfra) -> dict[str, procstat.PidSource]:
    return {
        "bench (relay/consumer)": procstat.self_pid(),
        "postgres": procstat.tree(infra.postgres.process.pid if infra.postgres else None),
        "broker": procstat.fixed(infra.broker.process.pid if infra.broker else None),
    }


async def raw_produce(
    infra: TestInfra,
    settings: object,
    topic: str,
    envelopes: Envelopes,
    n: int,
    budget_s: float,
    *,
    bulk: bool = False,
) -> Rate:
    """Every message handed to aiokafka at once (it batches per partition), then all acks.
    `bulk` (filling a topic, not a figure): bigger batches and linger, for speed."""
    if bulk:
        producer = AIOKafkaProducer(
            bootstrap_servers=infra.bootstrap,
            acks=1,
            compression_type="gzip",
            linger_ms=50,
            max_batch_size=1_048_576,
            max_request_size=8_388_608,
        )
    else:
        producer = create_producer(settings)  # type: ignore[arg-type]
    await producer.start()
    # A ceiling is measured on messages made beforehand; a large top-up makes them as it goes.
    messages = list(envelopes.make(n)) if n <= 200_000 else envelopes.make(n)
    meter = procstat.Meter(_groups(infra)).start()
    began = time.monotonic()
    sent = 0
    try:
        futures = []
        for event_id, key, envelope in messages:
            futures.append(
                await producer.send(
                    topic,
                    value=envelope.encode(),
                    key=key.encode(),
                    headers=envelopes.headers(event_id),
                )
            )
            sent += 1
            if time.monotonic() - began > budget_s:
                break
        await asyncio.gather(*futures)
        seconds = time.monotonic() - began
    finally:
        await producer.stop()
    return Rate(sent, seconds, await meter.stop())


async def fill_outbox(dsn: str, envelopes: Envelopes, n: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "outbox",
            columns=[
                "event_id",
                "event_type",
                "topic",
                "partition_key",
                "tenant_id",
                "envelope",
            ],
            records=(
                (event_id, envelopes.event_type, CUSTOMERS_EVENTS, key, envelopes.tenant, envelope)
                for event_id, key, envelope in envelopes.make(n)
            ),
        )
        await conn.execute("VACUUM ANALYZE outbox")
    finally:
        await conn.close()


class TimedRelay(OutboxRelay):
    """The relay, counting what it marks published (timing only; behaviour unchanged)."""

    def __init__(self, *args: object, target: int) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.target = target
        self.published = 0
        self.done = asyncio.Event()

    async def mark_published(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        await super().mark_published(conn, seqs)
        self.published += len(seqs)
        if self.published >= self.target:
            self.done.set()


def _profile(ctx: Context, name: str, seconds: float) -> Awaitable[str] | None:
    if not ctx.profile:
        return None
    return profiling.record(os.getpid(), ctx.results_dir / "profiles", name, seconds)


async def relay(ctx: Context, infra: TestInfra, settings: object, n: int, budget_s: float) -> Rate:
    relay = TimedRelay(settings, ProducerHolder(settings), target=n)  # type: ignore[arg-type]
    stop = asyncio.Event()
    recorder = _profile(ctx, "relay", 8)
    meter = procstat.Meter(_groups(infra)).start()
    began = time.monotonic()
    task = asyncio.create_task(relay.run(stop))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(relay.done.wait(), budget_s)
    seconds = time.monotonic() - began
    usage = await meter.stop()
    stop.set()
    await asyncio.wait_for(task, 30)
    await relay._producers.close()
    if recorder is not None:
        ctx.note(SECTION, await recorder)
    return Rate(relay.published, seconds, usage)


async def raw_consume(
    infra: TestInfra, topic: str, n: int, budget_s: float, fetch_wait_ms: int
) -> Rate:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=infra.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_wait_ms,
        max_poll_records=500,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        meter = procstat.Meter(_groups(infra)).start()
        began = time.monotonic()
        seen = 0
        while seen < n and time.monotonic() - began < budget_s:
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(records) for records in batch.values())
        seconds = time.monotonic() - began
        return Rate(seen, seconds, await meter.stop())
    finally:
        await consumer.stop()


def consumer_progress(name: str) -> int:
    """Events a consumer of this process has applied, skipped as duplicates or dead-lettered
    (servicekit's Prometheus counters, read in-process: no query on the tables it writes)."""
    from servicekit import metrics

    done = 0.0
    for counter in (metrics.CONSUMER_APPLIED, metrics.CONSUMER_DUPLICATES, metrics.CONSUMER_DLQ):
        for family in counter.collect():
            for sample in family.samples:
                if sample.name.endswith("_total") and sample.labels.get("consumer") == name:
                    done += sample.value
    return int(done)


async def rebuild(ctx: Context, infra: TestInfra, n: int, budget_s: float) -> Rate:
    from crm_reporting.app import MIGRATIONS, create_app
    from crm_reporting.config import ReportingSettings
    from servicekit.testing.infra import running_service

    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(
        ReportingSettings,
        database_url=url,
        consumer_start_at_end=False,  # a rebuild: from the first offset
        consumer_group="bench-rebuild",  # the consumer's name (manual assignment, no group)
        run_relay=False,
        log_level="WARNING",
        database_pool_size=10,
    )
    async with running_service(create_app, settings):
        recorder = _profile(ctx, "rebuild", min(budget_s, 20))
        meter = procstat.Meter(_groups(infra)).start()
        began = time.monotonic()
        applied = 0
        last_print = began
        while applied < n and time.monotonic() - began < budget_s:
            await asyncio.sleep(0.1)
            applied = consumer_progress("bench-rebuild")
            if time.monotonic() - last_print > 15:
                last_print = time.monotonic()
                rate = applied / (last_print - began)
                print(f"    rebuild: {applied:,} applied, {rate:,.0f}/s", flush=True)
        seconds = time.monotonic() - began
        usage = await meter.stop()
        if recorder is not None:
            ctx.note(SECTION, await recorder)
    return Rate(applied, seconds, usage)


def _row(
    ctx: Context,
    figure: str,
    rate: Rate,
    unit: str,
    target: str = "",
    ratio: float | None = None,
    threshold: float | None = None,
    note: str = "",
) -> None:
    ctx.add(
        Row(
            SECTION,
            figure,
            fmt_rate(rate.per_s, unit),
            target,
            f"{ratio:.2f}" if ratio is not None else "",
            None if ratio is None or threshold is None else ratio >= threshold,
            load_cell(rate.usage),
            (note or f"{rate.count:,} in {rate.seconds:.1f} s") + _cpu_note(rate),
        )
    )


def _cpu_note(rate: Rate) -> str:
    """CPU per event on each side, and what one free core would allow: a figure the
    machine's other load does not move (it only stretches the wall-clock time)."""
    if rate.usage is None or not rate.count:
        return ""
    sides = {g: 1e6 * u.cpu_s / rate.count for g, u in rate.usage.groups.items()}
    bench = sides.get("bench (relay/consumer)", 0.0)
    text = "; CPU per event: " + ", ".join(f"{g} {v:.0f} µs" for g, v in sides.items())
    if bench:
        text += f" (the Python side alone could do ≈ {1e6 / bench:,.0f}/s on one free core)"
    return text


async def run(ctx: Context, infra: TestInfra) -> None:
    from crm_customers.app import MIGRATIONS
    from crm_customers.config import CustomersSettings

    sizes = ctx.sizes
    print(
        f"relay and consumer: backlog {sizes.relay_backlog:,}, "
        f"rebuild up to {sizes.rebuild_events:,}",
        flush=True,
    )
    await ensure_topics(infra.bootstrap, [RAW_TOPIC], partitions=DEFAULT_PARTITIONS)
    url = await infra.migrated_database("customers", MIGRATIONS)
    settings = infra.settings(
        CustomersSettings,
        database_url=url,
        outbox_poll_interval_s=1.0,
        log_level="WARNING",
        run_consumer=False,
    )
    relay_envelopes = Envelopes("bench-relay")
    started = time.monotonic()
    await fill_outbox(settings.sync_database_url, relay_envelopes, sizes.relay_backlog)
    took = time.monotonic() - started
    print(f"  outbox filled with {sizes.relay_backlog:,} rows in {took:.1f} s", flush=True)

    backlog = sizes.relay_backlog
    produced = await raw_produce(infra, settings, RAW_TOPIC, relay_envelopes, backlog, 120)
    _row(
        ctx,
        "raw aiokafka produce (ceiling for the relay)",
        produced,
        "events",
        note=f"{produced.count:,} events with the relay's producer settings "
        "(acks=all, gzip, linger 0), all in flight at once",
    )
    relayed = await relay(ctx, infra, settings, backlog, max(60.0, min(300.0, ctx.remaining() / 4)))
    ratio = relayed.per_s / produced.per_s if produced.per_s else None
    if ratio is not None:
        ctx.facts["relay_ratio"] = ratio
    _row(
        ctx,
        f"outbox relay: backlog of {backlog:,} published",
        relayed,
        "events",
        "≥ 0.5 of raw produce",
        ratio,
        0.5,
        note=f"{relayed.count:,} of {backlog:,} published and marked in {relayed.seconds:.1f} s",
    )

    # Top the customers topic up to the rebuild size (bulk producer), within a time limit.
    # When the reporting service's own script rebuilds 1M events (bench/reporting_rebuild*),
    # this figure stays on the relay's topic and leaves the time to that script.
    from bench import hooks

    rebuild_events, rebuild_budget = sizes.rebuild_events, sizes.rebuild_budget_s
    if hooks.has_rebuild_script():
        rebuild_events, rebuild_budget = relayed.count, min(rebuild_budget, 45.0)
        ctx.note(
            SECTION,
            "The rebuild here replays only the relay's topic, time-boxed at "
            f"{rebuild_budget:.0f} s: bench/reporting_rebuild*.py measures the "
            "1,000,000-event rebuild of the full read model.",
        )
    wanted = max(rebuild_events - relayed.count, 0)
    top_up_budget = min(60.0, max(10.0, ctx.remaining() / 8))
    extra = Rate(0, 0.0)
    if wanted:
        extra = await raw_produce(
            infra,
            settings,
            CUSTOMERS_EVENTS,
            Envelopes("bench-rebuild"),
            wanted,
            top_up_budget,
            bulk=True,
        )
    total = relayed.count + extra.count
    print(
        f"  customers topic holds {total:,} events ({extra.count:,} added at {extra.per_s:,.0f}/s)",
        flush=True,
    )
    if total < rebuild_events:
        ctx.note(
            SECTION,
            f"The rebuild topic holds {total:,} events, not {rebuild_events:,}: "
            f"filling it is limited to {top_up_budget:.0f} s of the budget, and the rebuild "
            "is time-boxed anyway (below).",
        )

    wait_ms = settings.consumer_fetch_max_wait_ms
    consumed = await raw_consume(infra, CUSTOMERS_EVENTS, total, 60, wait_ms)
    _row(
        ctx,
        "raw aiokafka consume (ceiling for the consumer)",
        consumed,
        "events",
        note=f"{consumed.count:,} events read with the consumer's fetch settings "
        f"(max_poll_records 500, fetch_max_wait {wait_ms} ms)",
    )
    budget = min(rebuild_budget, max(20.0, ctx.remaining() - 180))
    rebuilt = await rebuild(ctx, infra, total, budget)
    ratio = rebuilt.per_s / consumed.per_s if consumed.per_s else None
    if ratio is not None and rebuilt.usage is not None and rebuilt.count:
        ctx.facts["rebuild_ratio"] = ratio
        own = rebuilt.usage.groups["bench (relay/consumer)"].cpu_s
        ctx.facts["rebuild_cpu_us"] = 1e6 * own / rebuilt.count
    if consumed.usage is not None and consumed.count:
        own = consumed.usage.groups["bench (relay/consumer)"].cpu_s
        ctx.facts["consume_cpu_us"] = 1e6 * own / consumed.count
    if rebuilt.count >= total:
        done = f"all {total:,} applied in {rebuilt.seconds:.1f} s"
    else:
        done = (
            f"time-boxed: {rebuilt.count:,} of {total:,} applied in {rebuilt.seconds:.0f} s, "
            "the rate is over those"
        )
    _row(
        ctx,
        f"reporting rebuild: events applied/s (topic of {total:,})",
        rebuilt,
        "events",
        "≥ 0.3 of raw consume",
        ratio,
        0.3,
        note=done + "; reporting's customer.created projection through servicekit's "
        "IdempotentConsumer (inbox, sequence tracking, one transaction per partition batch)",
    )
