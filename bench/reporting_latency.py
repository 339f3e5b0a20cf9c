"""Benchmark: report latency p50/p99 with 100,000 customers and 1,000,000 opportunity events.

Starts an embedded PostgreSQL and broker and the reporting service (in this process, HTTP
through httpx's ASGI transport: the figures include routing, auth, validation and JSON),
produces the generated company of reporting_rebuild.py, loads it with a rebuild, then asks
each report repeatedly as an executive (the whole tenant) and as a sales rep (own rows)
and prints p50 and p99. Figures are printed, never asserted; every loop is bounded in
count and time.

    python bench/reporting_latency.py [--events 1100000] [--customers 100000]

Under `make bench` (bench/hooks.py) it runs without arguments within BENCH_BUDGET_S seconds
(sizes shrink to fit and the rows say so; BENCH_QUICK=1: small sizes) and prints its
figures as `BENCH-ROW {json}` lines.
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
import statistics
import time
from typing import Any

from servicekit.testing.infra import embedded_infra

from bench.reporting_rebuild import TENANT, company, log, produce, rebuild, reporting_service, row

REPORTS = [
    ("customers summary", "/reports/customers/summary", {}),
    ("customer growth", "/reports/customers/growth", {"group_by": "month"}),
    ("funnel", "/reports/funnel", {}),
    ("pipeline by rep and month", "/reports/pipeline", {"group_by": "owner,month"}),
    ("win rate by rep", "/reports/win-rate", {"group_by": "owner"}),
    ("sales by month", "/reports/sales", {"group_by": "month"}),
    ("value pyramid", "/reports/value-pyramid", {}),
    ("profitability, top 50", "/reports/profitability", {"limit": 50}),
    ("rep activity", "/reports/rep-activity", {}),
    ("forecast accuracy", "/reports/forecast-accuracy", {"group_by": "owner"}),
]
REQUESTS = 100
WARM_UP = 5
PER_REPORT_S = 30.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timings(
    client: Any, path: str, params: dict[str, Any], headers: dict[str, str], seconds: float
) -> list[float]:
    for _ in range(WARM_UP):
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < REQUESTS and time.perf_counter() < deadline:
        began = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return samples


def sizes(events: int | None, customers: int | None) -> tuple[int, int, str]:
    """100,000 customers and 1,000,000 opportunity events unless told otherwise; shrunk to
    BENCH_BUDGET_S (about 0.8 ms per event to generate, produce and load on a loaded 2-core
    machine, and two minutes to ask) or to a quick run under BENCH_QUICK."""
    note = ""
    if customers is None:
        customers = 100_000
    if events is None:
        events = customers + 1_000_000
        if os.environ.get("BENCH_QUICK"):
            customers, events, note = 5_000, 55_000, "quick run"
        elif budget := os.environ.get("BENCH_BUDGET_S"):
            fits = int((float(budget) - 120) * 0.8 / 0.8e-3)
            if fits < events:
                events = max(fits // 10_000 * 10_000, 20_000)
                customers = min(customers, events // 10)
                note = f"shrunk to the {budget} s budget"
    return events, min(customers, events // 2), note


async def main(events: int, customers: int, note: str, deadline: float) -> None:
    generated = company(customers, events - customers)
    produced = len(generated)
    async with embedded_infra() as infra:
        await produce(infra.bootstrap, generated)
        del generated
        async with reporting_service(infra) as (_, client):
            admin = {"Authorization": f"Bearer {infra.token('admin', tenant=TENANT)}"}
            loaded = await rebuild(client, admin)
            log(f"loaded {loaded['consumed']:,} events in {loaded['seconds']:.0f} s")
            began = time.perf_counter()
            snapshot = await client.post("/snapshots", headers=admin)
            snapshot_ms = (time.perf_counter() - began) * 1000
            assert snapshot.status_code == 201, snapshot.text
            snapshot_id = snapshot.json()["snapshot_id"]
            readers = {
                "executive": {"Authorization": f"Bearer {infra.token('ceo', tenant=TENANT)}"},
                "sales rep": {
                    "Authorization": "Bearer "
                    + infra.token("north-rep-3", tenant=TENANT, roles=["sales_rep"], branch="north")
                },
            }
            results = []
            runs = len(REPORTS) * len(readers)
            for name, path, params in REPORTS:
                if path.endswith("forecast-accuracy"):
                    params = {**params, "snapshot": snapshot_id}
                for reader, headers in readers.items():
                    left = (deadline - time.perf_counter() - 30) / runs
                    runs -= 1
                    seconds = max(2.0, min(PER_REPORT_S, left))
                    samples = await timings(client, path, params, headers, seconds)
                    results.append((name, reader, samples))
    size = f"{customers:,} customers, {produced - customers:,} opportunity events"
    if note:
        size += f"; {note}"
    print(f"loaded: {size} ({loaded['rate']:,.0f} events/s through the rebuild)")
    print(f"POST /snapshots: {snapshot_ms:.0f} ms ({snapshot.json()['opportunities']:,} lines)")
    print(f"{'report':28s} {'reader':10s} {'p50 ms':>8s} {'p99 ms':>8s} {'n':>5s}")
    for name, reader, samples in results:
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"{name:28s} {reader:10s} {p50:8.1f} {p99:8.1f} {len(samples):5d}")
        row(
            f"report latency: {name}, {reader} ({size})",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            note=f"{len(samples)} requests, mean {statistics.fmean(samples):.1f} ms",
        )
    row(f"forecast snapshot: POST /snapshots ({size})", f"{snapshot_ms:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="all events (customers too)")
    parser.add_argument("--customers", type=int, default=None, help="default 100,000")
    parser.add_argument("--timeout", type=float, default=None)
    args = parser.parse_args()
    n_events, n_customers, size_note = sizes(args.events, args.customers)
    limit = args.timeout or float(os.environ.get("BENCH_BUDGET_S", 3600))
    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(main(n_events, n_customers, size_note, started + limit), limit))
    log(f"total {time.perf_counter() - started:.0f} s")
