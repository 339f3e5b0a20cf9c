"""Benchmark: rebuild the reporting read models from N events, against raw consumption.

Starts an embedded PostgreSQL and broker and the reporting service (in this process, HTTP
through httpx's ASGI transport), produces a generated company (100,000 customers, then
opportunity histories as sales publishes them, N events in all), reads the topics once with
a bare aiokafka consumer (the ceiling, same broker, same run), then rebuilds twice through
`POST /rebuilds` and prints the events applied per second, the ratio to the raw rate, and
whether every report is identical after the second rebuild. Figures are printed, never
asserted; every loop is bounded in count and time.

    python bench/reporting_rebuild.py [--events 1000000] [--customers 100000]

Under `make bench` (bench/hooks.py) it runs without arguments within BENCH_BUDGET_S seconds
(sizes shrink to fit and the rows say so; BENCH_QUICK=1: small sizes) and prints its figures
as `BENCH-ROW {json}` lines. The generator and helpers here are shared with
reporting_latency.py.
"""

# ruff: noqa: E402  (the imports follow the sys.path fix just below)
from __future__ import annotations

import os
import sys

# Run as `python bench/<script>.py`, the script's folder comes first on sys.path and its
# platform.py would shadow the standard library's: import from the repository root instead.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse
import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from crm_contracts import ALL_TOPICS, CloudEvent, new_event, topic_for
from crm_contracts import customers as c
from crm_contracts import sales as s
from servicekit.testing.infra import embedded_infra

TENANT = "bench"
BRANCHES = {
    "north": [f"north-rep-{i}" for i in range(12)],
    "south": [f"south-rep-{i}" for i in range(8)],
}
STAGES = [("qualification", 10), ("needs_analysis", 25), ("proposal", 50), ("negotiation", 75)]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _at(rng: random.Random, after: datetime, days: int) -> datetime:
    return after + timedelta(minutes=rng.randint(1, days * 24 * 60))


def customers(count: int, seed: int = 1) -> Iterator[tuple[CloudEvent, uuid.UUID, str, str]]:
    """`count` customers.created events, with each customer's id, branch and owner."""
    rng = random.Random(seed)
    for i in range(count):
        branch = "north" if rng.random() < 0.6 else "south"
        owner = rng.choice(BRANCHES[branch])
        customer = uuid.uuid4()
        payload = c.CustomerCreatedV1(
            customer_id=customer,
            name=f"Customer {i:06d} Ltd",
            kind="company",
            lifecycle_stage=c.LifecycleStage.PROSPECT,
            owner_id=owner,
            category="wholesale" if rng.random() < 0.7 else None,
            industry="logistics" if rng.random() < 0.5 else None,
            phone="+86 571 0000" if rng.random() < 0.8 else None,
            email=None,
            created_by=owner,
        )
        event = new_event(
            payload,
            tenant=TENANT,
            branch=branch,
            partition_key=str(customer),
            subject=f"customer/{customer}",
            sequence=1,
            time=_at(rng, EPOCH, 700),
        )
        yield event, customer, branch, owner


def opportunity_history(
    rng: random.Random, customer: uuid.UUID, branch: str, owner: str
) -> list[CloudEvent]:
    """One opportunity's events: created, stage moves, an amount or close-date change, and
    won or lost for about half of them."""
    opp = uuid.uuid4()
    ref = {"opportunity_id": opp, "customer_id": customer}
    created_at = _at(rng, EPOCH, 700)
    amount = Decimal(rng.randrange(1_000, 200_000, 50))
    close = (created_at + timedelta(days=rng.randint(20, 200))).date()
    events: list[tuple[Any, datetime]] = []
    at = created_at
    events.append(
        (
            s.OpportunityCreatedV1(
                **ref,
                name="Deal",
                amount=amount,
                currency="CNY",
                expected_close_date=close,
                probability=10,
                stage="qualification",
                owner_id=owner,
                campaign_id=None,
                created_by=owner,
            ),
            at,
        )
    )
    stage, probability = STAGES[0]

    def move(new_stage: str, new_probability: int) -> None:
        nonlocal stage, probability, at
        at = _at(rng, at, 10)
        events.append(
            (
                s.OpportunityStageChangedV1(
                    **ref,
                    old_stage=stage,
                    new_stage=new_stage,
                    old_probability=probability,
                    new_probability=new_probability,
                    amount=amount,
                    currency="CNY",
                    expected_close_date=close,
                    owner_id=owner,
                    changed_by=owner,
                ),
                at,
            )
        )
        stage, probability = new_stage, new_probability

    for next_stage, next_probability in STAGES[1 : rng.randint(1, 4)]:
        move(next_stage, next_probability)
    if rng.random() < 0.3:
        at = _at(rng, at, 5)
        old, amount = amount, amount + 1000
        events.append(
            (
                s.OpportunityAmountChangedV1(
                    **ref,
                    old_amount=old,
                    old_currency="CNY",
                    new_amount=amount,
                    currency="CNY",
                    changed_by=owner,
                ),
                at,
            )
        )
    if rng.random() < 0.2:
        at = _at(rng, at, 5)
        old_close, close = close, close + timedelta(days=30)
        events.append(
            (
                s.OpportunityCloseDateChangedV1(
                    **ref, old_close_date=old_close, new_close_date=close, changed_by=owner
                ),
                at,
            )
        )
    outcome = rng.random()
    if outcome < 0.45:
        won = outcome < 0.3
        move("won" if won else "lost", 100 if won else 0)
        closed: date = at.date()
        common = {"amount": amount, "currency": "CNY", "owner_id": owner, "closed_on": closed}
        events.append(
            (
                s.OpportunityWonV1(**ref, **common, campaign_id=None, won_by=owner)
                if won
                else s.OpportunityLostV1(**ref, **common, reason="price", lost_by=owner),
                at,
            )
        )
    return [
        new_event(
            payload,
            tenant=TENANT,
            branch=branch,
            partition_key=str(customer),
            subject=f"opportunity/{opp}",
            sequence=i + 1,
            time=moment,
        )
        for i, (payload, moment) in enumerate(events)
    ]


Record = tuple[str, bytes, bytes]  # topic, key, value: what goes to the broker


def _record(event: CloudEvent) -> Record:
    return topic_for(event), event.partitionkey.encode(), event.to_json_bytes()


def company(customer_count: int, opportunity_events: int, seed: int = 1) -> list[Record]:
    """`customer_count` customers, then opportunity histories until `opportunity_events`,
    as broker records (a million events as objects would crowd memory)."""
    rng = random.Random(seed + 1)
    started = time.perf_counter()
    records: list[Record] = []
    known: list[tuple[uuid.UUID, str, str]] = []
    for event, customer, branch, owner in customers(customer_count, seed):
        records.append(_record(event))
        known.append((customer, branch, owner))
    made = 0
    while made < opportunity_events:
        customer, branch, owner = rng.choice(known)
        history = opportunity_history(rng, customer, branch, owner)[: opportunity_events - made]
        records += [_record(e) for e in history]
        made += len(history)
    log(f"generated {len(records):,} events in {time.perf_counter() - started:.0f} s")
    return records


async def produce(bootstrap: str, events: list[Record], *, timeout_s: float = 900) -> float:
    """Publish in order (keyed by customer), bounded in time; returns events per second."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        max_batch_size=1024 * 1024,
        compression_type="gzip",
    )
    await producer.start()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            pending = []
            for topic, key, value in events:
                pending.append(await producer.send(topic, value, key=key))
                if len(pending) >= 20_000:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
    rate = len(events) / (time.perf_counter() - started)
    log(f"produced {len(events):,} events at {rate:,.0f}/s")
    return rate


async def raw_consume(
    bootstrap: str, expected: int, *, batch: int = 5000, wait_ms: int = 50, timeout_s: float = 300
) -> tuple[int, float]:
    """Read every topic from the beginning with a bare aiokafka consumer (no parsing, no
    database), the same fetch settings as the rebuild: the ceiling a projection can be
    compared with. Reads until the `expected` records are seen (the embedded broker's end
    offsets stop short of the last batch). (records, records/s)"""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=wait_ms,
        max_poll_records=batch,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(t, p) for t in ALL_TOPICS for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started = time.perf_counter()
        seen = 0
        async with asyncio.timeout(timeout_s):
            while seen < expected:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    seen += len(records)
        rate = seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()
    log(f"raw aiokafka consume: {seen:,} records at {rate:,.0f}/s")
    return seen, rate


@contextlib.asynccontextmanager
async def reporting_service(infra: Any, window: int = 20_000) -> AsyncIterator[tuple[Any, Any]]:
    """The reporting app on the embedded infrastructure, no rate limit. What the topics hold
    is loaded by a rebuild; the live consumer is off: nothing else is published meanwhile,
    and on the embedded broker `seek_to_end` lands inside the last record batch (Tansu's
    ListOffsets answers the batch's base offset + 1), so it would re-apply those events
    concurrently and blur the figure."""
    from crm_reporting.app import MIGRATIONS, create_app
    from crm_reporting.config import ReportingSettings
    from servicekit.testing.infra import running_service

    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(
        ReportingSettings,
        database_url=url,
        run_consumer=False,
        replay_batch_size=window,
        rate_limit_per_minute=0,
        database_pool_size=10,
        log_level="ERROR",
    )
    async with running_service(create_app, settings) as running:
        yield running


async def rebuild(
    client: Any, headers: dict[str, str], *, timeout_s: float = 1800
) -> dict[str, Any]:
    """POST /rebuilds and follow it; returns the final progress with the measured rate."""
    started = time.perf_counter()
    response = await client.post("/rebuilds", headers=headers)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    shown = 0.0
    async with asyncio.timeout(timeout_s):
        while True:
            body = (await client.get(location, headers=headers)).json()
            if body["status"] != "running":
                break
            if time.perf_counter() - shown > 15:
                shown = time.perf_counter()
                log(
                    f"  rebuild {body['phase']}: {body['consumed']:,}/{body['total']:,} read, "
                    f"{body['applied']:,} applied"
                )
            await asyncio.sleep(0.5)
    assert body["status"] == "done", body
    body["seconds"] = time.perf_counter() - started
    body["rate"] = body["consumed"] / body["seconds"]
    return body


REPORTS = [
    ("/reports/customers/summary", {}),
    ("/reports/customers/growth", {"group_by": "branch,owner,month"}),
    ("/reports/funnel", {}),
    ("/reports/pipeline", {"group_by": "branch,owner,month,stage"}),
    ("/reports/win-rate", {"group_by": "branch,owner,month"}),
    ("/reports/sales", {"group_by": "branch,owner,month"}),
    ("/reports/value-pyramid", {}),
    ("/reports/profitability", {"limit": 200}),
    ("/reports/rep-activity", {}),
]


async def every_report(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    found = {}
    for path, params in REPORTS:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        found[path] = response.json()
    return found


class CpuMeter:
    """CPU seconds of this process and of a process tree (PostgreSQL: the postmaster and
    its backends), from /proc: what the rebuild costs, whatever else loads the machine."""

    def __init__(self, root_pid: int) -> None:
        self.root = root_pid
        self.seen: dict[int, float] = {}

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _tree(self) -> set[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
        tree, grew = {self.root}, True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        return tree

    def sample(self) -> None:
        for pid in self._tree():
            self.seen[pid] = max(self.seen.get(pid, 0.0), self._cpu(pid))

    def total(self) -> float:
        return sum(self.seen.values())


async def measured_rebuild(
    client: Any, headers: dict[str, str], postgres_pid: int
) -> dict[str, Any]:
    """A rebuild, with the CPU this process and PostgreSQL spent on it."""
    meter = CpuMeter(postgres_pid)
    meter.sample()
    postgres_before, own_before = meter.total(), time.process_time()
    task = asyncio.create_task(rebuild(client, headers))
    while not task.done():
        meter.sample()
        await asyncio.wait({task}, timeout=1.0)
    meter.sample()
    result = task.result()
    events = max(result["consumed"], 1)
    result["own_us"] = (time.process_time() - own_before) / events * 1e6
    result["postgres_us"] = (meter.total() - postgres_before) / events * 1e6
    result["load"] = os.getloadavg()[0]
    return result


def row(figure: str, value: str, **extra: Any) -> None:
    """A line bench/hooks.py turns into a row of `make bench`'s table."""
    print("BENCH-ROW " + json.dumps({"figure": figure, "value": value, **extra}), flush=True)


def sizes(events: int | None, customers: int | None) -> tuple[int, int, str]:
    """What to generate: the arguments, else 100,000 customers and 1,000,000 events, shrunk
    to BENCH_BUDGET_S (about 1 ms per event for this script on a loaded 2-core machine) or
    to a quick run under BENCH_QUICK."""
    note = ""
    if events is None:
        events = 1_000_000
        if os.environ.get("BENCH_QUICK"):
            events, note = 50_000, "quick run"
        elif budget := os.environ.get("BENCH_BUDGET_S"):
            fits = int(float(budget) * 0.8 / 1e-3)
            if fits < events:
                events, note = (
                    max(fits // 10_000 * 10_000, 20_000),
                    f"shrunk to the {budget} s budget",
                )
    if customers is None:
        customers = min(100_000, events // 10)
    return events, min(customers, events // 2), note


async def main(events: int, customers: int, note: str) -> None:
    generated = company(customers, events - customers)
    produced = len(generated)
    async with embedded_infra() as infra:
        await produce(infra.bootstrap, generated)
        del generated
        records, raw = await raw_consume(infra.bootstrap, produced)
        async with reporting_service(infra) as (_, client):
            admin = {"Authorization": f"Bearer {infra.token('admin', tenant=TENANT)}"}
            first = await measured_rebuild(client, admin, infra.postgres.process.pid)
            log(f"rebuild 1: {first['consumed']:,} read in {first['seconds']:.0f} s")
            before = await every_report(client, admin)
            second = await measured_rebuild(client, admin, infra.postgres.process.pid)
            after = await every_report(client, admin)
    size = f"{produced:,} events, {customers:,} customers" + (f"; {note}" if note else "")
    print(f"events in the topics:            {records:,}")
    print(f"raw aiokafka consume:            {raw:,.0f} events/s")
    for n, run in enumerate((first, second), start=1):
        print(
            f"rebuild {n}:                       {run['rate']:,.0f} events/s "
            f"({run['seconds']:.0f} s, {run['applied']:,} applied, {run['skipped']} skipped; "
            f"ratio to raw {run['rate'] / raw:.3f}; CPU per event: reporting "
            f"{run['own_us']:.0f} µs, PostgreSQL {run['postgres_us']:.0f} µs; "
            f"load {run['load']:.1f})"
        )
    print(f"reports identical after rebuild: {before == after}")
    best = max(first, second, key=lambda r: r["rate"])
    ratio = best["rate"] / raw
    row(
        f"reporting rebuild: events applied/s ({size})",
        f"{best['rate']:,.0f}/s",
        target=f">= 0.3 x raw consume ({raw:,.0f}/s)",
        ratio=f"{ratio:.3f}",
        met=ratio >= 0.3,
        load=f"load {best['load']:.1f}",
        note=f"CPU per event: reporting {best['own_us']:.0f} µs, PostgreSQL "
        f"{best['postgres_us']:.0f} µs; rebuild seconds {best['seconds']:.0f}",
    )
    row("raw aiokafka consume of the same topics", f"{raw:,.0f}/s", note=f"{records:,} records")
    row(
        "reports identical after a rebuild (9 reports)",
        "yes" if before == after else "NO",
        met=before == after,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--customers", type=int, default=None, help="default 100,000")
    parser.add_argument("--timeout", type=float, default=None)
    args = parser.parse_args()
    n_events, n_customers, size_note = sizes(args.events, args.customers)
    limit = args.timeout or float(os.environ.get("BENCH_BUDGET_S", 3600))
    began = time.perf_counter()
    asyncio.run(asyncio.wait_for(main(n_events, n_customers, size_note), limit))
    log(f"total {time.perf_counter() - began:.0f} s")
