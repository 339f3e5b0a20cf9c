"""2. Event latency: from the HTTP response of `POST /customers` to the customer being visible
in reporting's read model, at a steady 200 writes/s (open loop).

"Visible" is the commit of reporting's `customer_facts` row: the benchmark adds an AFTER
INSERT OR UPDATE trigger to reporting's database that NOTIFYs the customer id (the first
notification per id counts), and PostgreSQL delivers
a notification only when the inserting transaction commits, i.e. when a report can see it.
The writer stamps each response, the listener each notification (one monotonic clock).

Measured with the platform's reporting service at the embedded default
`consumer_fetch_max_wait_ms` (10 ms, set by `crm up`: Tansu answers a fetch only when that
wait runs out).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

import asyncpg

from bench import procstat
from bench.context import Context, load_cell
from bench.crmup import Platform
from bench.httpload import RequestSpec, paced
from bench.report import Row, fmt_ms, percentile

FETCH_WAIT_MS = 10  # what crm_local.services gives reporting
SECTION = "2 event latency"
CHANNEL = "bench_visible"
TENANT = "bench-latency"
TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION bench_visible() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{CHANNEL}', NEW.customer_id::text); RETURN NULL; END $$;
DROP TRIGGER IF EXISTS bench_visible ON customer_facts;
CREATE TRIGGER bench_visible AFTER INSERT OR UPDATE ON customer_facts
  FOR EACH ROW EXECUTE FUNCTION bench_visible();
"""
CUSTOMER = (
    '{"name":"Latency probe %d","kind":"company","lifecycle_stage":"lead",'
    '"branch_id":"north","owner_id":"north-rep"}'
)


@dataclass
class LatencyRun:
    fetch_wait_ms: int
    rate: float
    sent: int
    answered: int
    seen: int
    p50_s: float | None
    p99_s: float | None
    max_s: float | None
    http_p50_s: float | None
    http_p99_s: float | None
    achieved_rate: float
    usage: procstat.Usage
    stages: dict[str, float | None]  # median time after the response of each step, seconds


class Visibility:
    """LISTENs on a reporting database; remembers when each customer id became visible."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.seen: dict[str, float] = {}
        self._conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> Visibility:
        self._conn = await asyncpg.connect(self.dsn)
        await self._conn.execute(TRIGGER_SQL)
        await self._conn.add_listener(CHANNEL, self._notified)
        return self

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.seen.setdefault(payload, time.monotonic())

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()

    async def wait_for(self, ids: set[str], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ids <= self.seen.keys() and time.monotonic() < deadline:  # noqa: ASYNC110 (fed by a LISTEN callback)
            await asyncio.sleep(0.02)


async def _probe(platform: Platform, spec: RequestSpec, vis: Visibility, timeout_s: float) -> bool:
    """One write that must become visible: the consumer has joined and caught up."""
    ids: set[str] = set()

    def answered(_n: int, status: int, body: bytes, _at: float) -> None:
        if status == 201:
            ids.add(json.loads(body)["id"])

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await paced(
            "127.0.0.1", platform.port("customers"), spec, rate=10, count=1, on_answer=answered
        )
        await vis.wait_for(ids, 5)
        if ids and ids <= vis.seen.keys():
            return True
    return False


def _spec(platform: Platform) -> RequestSpec:
    tokens = [
        platform.token(f"bench-writer-{i:02d}", tenant=TENANT, roles=["admin"]) for i in range(64)
    ]
    return RequestSpec("POST", "/customers", template=CUSTOMER, tokens=tokens)


async def measure(
    ctx: Context,
    platform: Platform,
    vis: Visibility,
    fetch_wait_ms: int,
    reporting_pid: int,
    rate: float,
    seconds: float,
) -> LatencyRun:
    spec = _spec(platform)
    answered_at: dict[str, float] = {}

    def answered(_n: int, status: int, body: bytes, at: float) -> None:
        if status == 201:
            answered_at[json.loads(body)["id"]] = at

    count = int(rate * seconds)
    groups = platform.meter_groups("customers", "reporting")
    groups["reporting"] = procstat.fixed(reporting_pid)
    meter = procstat.Meter(groups).start()
    result = await paced(
        "127.0.0.1",
        platform.port("customers"),
        spec,
        rate=rate,
        count=count,
        on_answer=answered,
        deadline_s=seconds * 3,
    )
    await vis.wait_for(set(answered_at), 10)
    usage = await meter.stop()
    delays = sorted(max(0.0, vis.seen[i] - t) for i, t in answered_at.items() if i in vis.seen)
    stages = await _stages(platform, vis, answered_at)
    return LatencyRun(
        fetch_wait_ms=fetch_wait_ms,
        rate=rate,
        sent=count,
        answered=len(answered_at),
        seen=len(delays),
        p50_s=percentile(delays, 50),
        p99_s=percentile(delays, 99),
        max_s=delays[-1] if delays else None,
        http_p50_s=percentile(result.latencies, 50),
        http_p99_s=percentile(result.latencies, 99),
        achieved_rate=result.requests / result.seconds if result.seconds else 0.0,
        usage=usage,
        stages=stages,
    )


async def _stages(
    platform: Platform, vis: Visibility, answered_at: dict[str, float]
) -> dict[str, float | None]:
    """Where the time goes, from the databases' own timestamps (one clock: this machine's):
    the relay's mark (`outbox.published_at`, after the broker's ack), the consumer's batch
    transaction start (`inbox.applied_at`), and the commit (the notification)."""
    to_wall = time.time() - time.monotonic()
    ids = list(answered_at)
    customers = await asyncpg.connect(platform.database_url("crm_customers"))
    try:
        outbox = await customers.fetch(
            "SELECT partition_key, event_id, extract(epoch FROM published_at) AS published"
            " FROM outbox WHERE partition_key = ANY($1::text[]) AND event_type LIKE $2",
            ids,
            "%customer.created%",
        )
    finally:
        await customers.close()
    reporting = await asyncpg.connect(vis.dsn)
    try:
        applied = dict(
            await reporting.fetch(
                "SELECT event_id, extract(epoch FROM applied_at) FROM inbox"
                " WHERE event_id = ANY($1::uuid[])",
                [r["event_id"] for r in outbox],
            )
        )
    finally:
        await reporting.close()
    legs: dict[str, list[float]] = {
        "relay marked it published": [],
        "reporting's batch began": [],
        "visible": [],
    }
    for row in outbox:
        key, published = row["partition_key"], row["published"]
        start = applied.get(row["event_id"])
        seen = vis.seen.get(key)
        if published is None or start is None or seen is None:
            continue
        answered = answered_at[key] + to_wall
        legs["relay marked it published"].append(float(published) - answered)
        legs["reporting's batch began"].append(float(start) - answered)
        legs["visible"].append(seen + to_wall - answered)
    return {name: percentile(sorted(values), 50) for name, values in legs.items()}


def _rows(ctx: Context, run: LatencyRun, label: str, *, targets: bool) -> None:
    lost = run.answered - run.seen
    note = (
        f"{run.sent:,} writes asked at {run.rate:.0f}/s (at most 64 in flight), "
        f"{run.achieved_rate:.0f}/s answered; "
        f"{run.seen:,} seen in reporting"
        + (f", **{lost} not within 10 s**" if lost else "")
        + f"; max {fmt_ms(run.max_s)}; the writes' own HTTP latency p50 "
        f"{fmt_ms(run.http_p50_s)}, p99 {fmt_ms(run.http_p99_s)}; medians after the response "
        "(database clocks): " + ", ".join(f"{leg} +{fmt_ms(v)}" for leg, v in run.stages.items())
    )
    figure = f"write → visible in reporting at {run.rate:.0f} writes/s ({label})"
    if not targets:
        ctx.add(
            Row(
                SECTION,
                figure + ", p50 / p99",
                f"{fmt_ms(run.p50_s)} / {fmt_ms(run.p99_s)}",
                "reference (light load)",
                "",
                None,
                load_cell(run.usage),
                note,
            )
        )
        return
    ctx.add(
        Row(
            SECTION,
            figure + ", p50",
            fmt_ms(run.p50_s),
            "≤ 20 ms",
            f"{run.p50_s / 0.020:.2f} of target" if run.p50_s is not None else "",
            run.p50_s is not None and run.p50_s <= 0.020,
            load_cell(run.usage),
            note,
        )
    )
    ctx.add(
        Row(
            SECTION,
            figure + ", p99",
            fmt_ms(run.p99_s),
            "≤ 100 ms",
            f"{run.p99_s / 0.100:.2f} of target" if run.p99_s is not None else "",
            run.p99_s is not None and run.p99_s <= 0.100,
            "",
            "same run as the line above",
        )
    )


async def _both_rates(
    ctx: Context, platform: Platform, vis: Visibility, fetch_wait_ms: int, pid: int, label: str
) -> None:
    if not await _probe(
        platform, _spec(platform), vis, timeout_s=min(90.0, max(20.0, ctx.remaining() / 4))
    ):
        raise RuntimeError("reporting did not show a probe write: is its consumer running?")
    await _settle(vis.dsn, timeout_s=60)
    sizes = ctx.sizes
    light = await measure(
        ctx, platform, vis, fetch_wait_ms, pid, sizes.light_rate, sizes.light_seconds
    )
    _rows(ctx, light, label, targets=False)
    full = await measure(
        ctx, platform, vis, fetch_wait_ms, pid, sizes.latency_rate, sizes.latency_seconds
    )
    _rows(ctx, full, label, targets=True)
    for name, run in (("light", light), ("full", full)):
        ctx.facts[f"latency_{name}_rate"] = run.achieved_rate
        if run.p50_s is not None and run.p99_s is not None:
            ctx.facts[f"latency_{name}_p50_ms"] = run.p50_s * 1000
            ctx.facts[f"latency_{name}_p99_ms"] = run.p99_s * 1000


async def _settle(dsn: str, timeout_s: float) -> None:
    """Until the consumer has caught up with everything (a new consumer group replays the
    topics from the start): its inbox stops growing for 2 s."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout_s
        last, still = -1, 0
        while time.monotonic() < deadline and still < 4:
            count = await conn.fetchval("SELECT count(*) FROM inbox")
            still = still + 1 if count == last else 0
            last = count
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def run(ctx: Context, platform: Platform) -> None:
    print("event latency: write → visible in reporting", flush=True)
    async with Visibility(platform.database_url("crm_reporting")) as vis:
        await _both_rates(
            ctx,
            platform,
            vis,
            FETCH_WAIT_MS,
            platform.pid("reporting"),
            f"fetch_max_wait {FETCH_WAIT_MS} ms, the embedded default",
        )
    ctx.note(
        SECTION,
        "Writes are `POST /customers` at a fixed rate (open loop: a write leaves on time "
        "whether or not earlier ones were answered; bench.httpload in the benchmark process); "
        "the time runs from each HTTP response to the commit of reporting's row for that "
        "customer (an AFTER INSERT OR UPDATE trigger NOTIFYs; PostgreSQL delivers at commit).",
    )
    ctx.note(
        SECTION,
        "Path: customers commits row + outbox → NOTIFY wakes the relay → produce (acks=all) → "
        "Tansu → reporting's fetch (answered only when `fetch_max_wait_ms` runs out: `crm up` "
        "sets 10 ms) → batch transaction (inbox + sequences + projection) → commit.",
    )
