"""1. Write path: `POST /customers` and `POST /opportunities` at 32 concurrent clients (closed
loop), each next to the baseline measured right after it in the same run: bench.baseline_app,
a minimal FastAPI + SQLAlchemy async + asyncpg app inserting the same row into a table made
by the same migrations, without outbox, auth, middleware or domain rules.

Requests carry a full customer record (every field of the data policy filled) and rotate
over 256 users, so the per-user rate limit sees production-like traffic (none is refused).
Sales learns customers from customers events: `POST /opportunities` targets customers that
this section created through the customers API and that sales has since received.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import asyncpg
from crm_local.services import service_named
from servicekit.embedded.process import free_port, port_open
from servicekit.migrations import upgrade_to_head

from bench import procstat, profiling
from bench.context import ROOT, Context, load_cell
from bench.crmup import Platform
from bench.httpload import RequestSpec
from bench.loadgen import Measured, ceiling, merge
from bench.report import Row, fmt_ms, fmt_ratio

SECTION = "1 write path"
TENANT = "bench"
CUSTOMER = (
    '{"name":"Bench customer %d Trading Co., Ltd.","kind":"company","lifecycle_stage":"prospect",'
    '"branch_id":"north","owner_id":"north-rep","category":"distributor","industry":"wholesale",'
    '"phone":"+86 571 8888 6666","fax":"+86 571 8888 6667",'
    '"email":"purchasing@xinyuan.example.cn","contact_name":"Li Wei","postal_code":"310000",'
    '"address":"88 Wensan Road, Xihu District, Hangzhou","website":"https://xinyuan.example.cn",'
    '"tags":["zhejiang","wholesale"]}'
)
OPPORTUNITY = (
    '{"name":"Bench opportunity %d","customer_id":"%s","amount":"250000.00",'
    '"currency":"EUR","expected_close_date":"2027-06-30"}'
)


@dataclass
class Run:
    what: str
    measured: Measured
    usage: procstat.Usage


class Baseline:
    """bench.baseline_app under uvicorn (same loop and HTTP parser as the services)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> Baseline:
        urls = {}
        conn = await asyncpg.connect(self.platform.database_url("postgres"))
        try:
            for service in ("customers", "sales"):
                database = f"bench_baseline_{service}"
                await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
                await conn.execute(f'CREATE DATABASE "{database}"')
                urls[service] = self.platform.database_url(database, driver="asyncpg")
        finally:
            await conn.close()
        for service, url in urls.items():  # one after the other: Alembic keeps module state
            await asyncio.to_thread(upgrade_to_head, url, service_named(service).migrations())
        env = {
            **os.environ,
            "BENCH_CUSTOMERS_DB": urls["customers"],
            "BENCH_SALES_DB": urls["sales"],
        }
        self.proc = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.baseline_app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the baseline app did not start")
            await asyncio.sleep(0.1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                await asyncio.to_thread(self.proc.wait, 20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _once(
    ctx: Context,
    url: str,
    spec: RequestSpec,
    groups: dict[str, procstat.PidSource],
    seconds: float,
) -> tuple[Measured, procstat.Usage]:
    meter = procstat.Meter(groups).start()
    measured = await asyncio.to_thread(
        ctx.loadgen.run, url, spec, connections=ctx.sizes.clients, seconds=seconds, warmup_s=0
    )
    usage = await meter.stop()
    usage.groups = {"load generator": procstat.GroupUsage(cpu_s=measured.cpu_s), **usage.groups}
    return measured, usage


async def _pair(
    ctx: Context,
    name: str,
    spec: RequestSpec,
    service: tuple[str, dict[str, procstat.PidSource], int],
    baseline: tuple[str, dict[str, procstat.PidSource]],
) -> tuple[Run, Run]:
    """The service and the baseline in alternation (S B S B ...), so a change in the
    machine's other load hits both alike; each side's rounds are then merged."""
    sizes = ctx.sizes
    rounds = 1 if ctx.quick else 2
    seconds = sizes.write_seconds / rounds
    for url, pid in ((service[0], service[2]), (baseline[0], None)):
        warmup = sizes.write_warmup_s
        recorder = None
        if ctx.profile and pid:  # profile the warm-up: the measured rounds run unobserved
            warmup = max(warmup, 6.0)
            recorder = profiling.record(pid, ctx.results_dir / "profiles", name, warmup)
        if warmup:
            await asyncio.to_thread(
                ctx.loadgen.run, url, spec, connections=sizes.clients, seconds=warmup, warmup_s=0
            )
        if recorder is not None:
            ctx.note(SECTION, await recorder)
    runs: dict[str, list[tuple[Measured, procstat.Usage]]] = {"service": [], "baseline": []}
    for _ in range(rounds):
        measured, usage = await _once(ctx, service[0], spec, service[1], seconds)
        runs["service"].append((measured, usage))
        measured, usage = await _once(ctx, baseline[0], spec, baseline[1], seconds)
        runs["baseline"].append((measured, usage))
    out = []
    for side in ("service", "baseline"):
        measured = merge([m for m, _ in runs[side]])
        usage = procstat.combine([u for _, u in runs[side]])
        label = name if side == "service" else f"baseline {name}"
        print(
            f"  {label}: {measured.rate:,.0f} req/s, p50 {fmt_ms(measured.p50_s)}, "
            f"p99 {fmt_ms(measured.p99_s)}, errors {measured.errors}",
            flush=True,
        )
        out.append(Run(label, measured, usage))
    return out[0], out[1]


def _value(m: Measured) -> str:
    return f"{m.rate:,.0f} req/s; p50 {fmt_ms(m.p50_s)}, p99 {fmt_ms(m.p99_s)}"


def _cpu_per_request(run: Run) -> tuple[float, dict[str, float]]:
    """Milliseconds of CPU per request, in total and by side (the benchmark process and the
    machine's other load left out)."""
    usage, n = run.usage, max(run.measured.requests, 1)
    sides = {g: 1000 * u.cpu_s / n for g, u in usage.groups.items() if g != "bench"}
    return sum(sides.values()), sides


def _report(ctx: Context, service: Run, baseline: Run, route: str, server: str) -> None:
    ratio = service.measured.rate / baseline.measured.rate if baseline.measured.rate else None
    errors = service.measured.errors
    ctx.add(
        Row(
            SECTION,
            f"{route}, {ctx.sizes.clients} clients: throughput, latency",
            _value(service.measured),
            "≥ 0.8 of baseline",
            fmt_ratio(ratio),
            None if ratio is None else ratio >= 0.8,
            load_cell(service.usage),
            f"{service.measured.requests:,} requests in {service.measured.seconds:.0f} s"
            + (f"; **{errors} errors**" if errors else "; no errors"),
        )
    )
    ctx.add(
        Row(
            SECTION,
            f"baseline {route} (FastAPI + SQLAlchemy insert only)",
            _value(baseline.measured),
            "",
            "",
            None,
            load_cell(baseline.usage),
            f"{baseline.measured.requests:,} requests"
            + (f"; **{baseline.measured.errors} errors**" if baseline.measured.errors else ""),
        )
    )
    svc_total, svc_sides = _cpu_per_request(service)
    base_total, base_sides = _cpu_per_request(baseline)
    key = route.split()[-1].strip("/")
    if base_sides.get("baseline app"):
        ctx.facts[f"{key}_serving_cpu_x"] = svc_sides.get(server, 0) / base_sides["baseline app"]
    if ratio is not None:
        ctx.facts[f"{key}_ratio"] = ratio
    ncpu = service.usage.ncpu
    ctx.add(
        Row(
            SECTION,
            f"{route}: CPU per request, platform vs baseline",
            f"{svc_total:.1f} ms vs {base_total:.1f} ms",
            "",
            f"{base_total / svc_total:.2f}" if svc_total else "",
            None,
            "",
            f"{route}: "
            + ", ".join(f"{g} {v:.2f}" for g, v in svc_sides.items())
            + " ms; baseline: "
            + ", ".join(f"{g} {v:.2f}" for g, v in base_sides.items())
            + f" ms. With {ncpu} cores to themselves: ≈ {1000 * ncpu / svc_total:,.0f} vs "
            f"≈ {1000 * ncpu / base_total:,.0f} req/s (CPU-bound estimate, load-independent). "
            f"Serving process alone: {svc_sides.get(server, 0):.2f} vs "
            f"{base_sides.get('baseline app', 0):.2f} ms.",
        )
    )


async def _customers_known_to_sales(platform: Platform, wanted: int, timeout_s: float) -> list[str]:
    """Ids of the bench tenant's customers that sales has learnt from customers events."""
    conn = await asyncpg.connect(platform.database_url("crm_sales"))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            known = await conn.fetchval(
                "SELECT count(*) FROM customer_facts WHERE tenant_id = $1", TENANT
            )
            if known >= wanted or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        rows = await conn.fetch(
            "SELECT customer_id::text FROM customer_facts WHERE tenant_id = $1 LIMIT 5000", TENANT
        )
        return [r[0] for r in rows]
    finally:
        await conn.close()


async def _count(platform: Platform, database: str, sql: str) -> int:
    conn = await asyncpg.connect(platform.database_url(database))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def run(ctx: Context, platform: Platform) -> None:
    print(f"write path: {ctx.sizes.clients} clients, generator {ctx.loadgen.name}", flush=True)
    tokens = [
        platform.token(f"bench-admin-{i:03d}", tenant=TENANT, roles=["admin"]) for i in range(256)
    ]
    customers_spec = RequestSpec("POST", "/customers", template=CUSTOMER, tokens=tokens)

    # The generator's own ceiling, on this machine, now.
    top = await ceiling(ctx.loadgen, customers_spec, connections=ctx.sizes.clients, seconds=5)
    ctx.add(
        Row(
            "0 load generator",
            f"{ctx.loadgen.describe()}: ceiling",
            f"{top.rate:,.0f} req/s against a canned-answer server; "
            f"{top.cpu_per_request_us:.1f} µs CPU per request",
            "far above every measured rate",
            "",
            None,
            f"load {os.getloadavg()[0]:.2f}; generator {top.generator_cpu_pct:.0f}%, "
            f"canned server {top.server_cpu_pct:.0f}% of one core",
            f"≈ {top.one_core_rate:,.0f} req/s on one core of its own; the server (Python) "
            "is what limits that run",
        )
    )

    async with Baseline(platform) as baseline:
        baseline_groups = {
            "baseline app": procstat.fixed(baseline.proc.pid if baseline.proc else None),
            **platform.meter_groups(),
        }
        before = await _count(
            platform, "crm_customers", f"SELECT count(*) FROM customers WHERE tenant_id='{TENANT}'"
        )
        svc, base = await _pair(
            ctx,
            "customers",
            customers_spec,
            (
                platform.url("customers"),
                platform.meter_groups("customers"),
                platform.pid("customers"),
            ),
            (baseline.url, baseline_groups),
        )
        _report(ctx, svc, base, "POST /customers", "customers")
        created = (
            await _count(
                platform,
                "crm_customers",
                f"SELECT count(*) FROM customers WHERE tenant_id='{TENANT}'",
            )
            - before
        )

        ids = await _customers_known_to_sales(
            platform, created, timeout_s=60 if not ctx.quick else 20
        )
        if not ids:
            ctx.note(SECTION, "POST /opportunities skipped: sales knew no customer in time.")
            return
        sales_spec = RequestSpec(
            "POST", "/opportunities", template=OPPORTUNITY, tokens=tokens, ids=ids
        )
        svc, base = await _pair(
            ctx,
            "sales",
            sales_spec,
            (platform.url("sales"), platform.meter_groups("sales"), platform.pid("sales")),
            (baseline.url, baseline_groups),
        )
        _report(ctx, svc, base, "POST /opportunities", "sales")
    ctx.note(
        SECTION,
        f"Closed loop: {ctx.sizes.clients} connections, each sending its next request when "
        f"the previous one is answered; {ctx.sizes.write_warmup_s:.0f} s warm-up, then "
        f"{ctx.sizes.write_seconds:.0f} s measured. The service's figure includes what the "
        "platform does meanwhile (relay publishing, other services consuming the events).",
    )
    ctx.note(
        SECTION,
        f"Sales: opportunities for {len(ids):,} customers created through the customers API "
        f"in this run ({created:,} created, {len(ids):,} known to sales when it started).",
    )
