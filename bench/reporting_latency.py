"""Benchmark: report latency p50/p99 at 10k, 100k and 1M opportunity events (flat?).

Starts an embedded PostgreSQL and broker and the reporting service (in this process, HTTP
through httpx's ASGI transport: the figures include routing, auth, validation and JSON),
produces the generated company of reporting_rebuild.py, loads it with a rebuild, then asks
each report repeatedly as an executive (the whole tenant) and as a sales rep (own rows)
and prints p50 and p99. Figures are printed, never asserted; every loop is bounded in
count and time.

    python bench/reporting_latency.py [--events 1100000] [--customers 100000]

Without --events: 10,000, 100,000 and 1,000,000 opportunity events with a customer per ten
(1M: 100,000 customers), each loaded into a fresh platform. Under `make bench`
(bench/hooks.py) it runs the sizes that fit BENCH_BUDGET_S (a row says which did not;
BENCH_QUICK=1: the smallest) and prints its
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


# Opportunity events per size, with a customer per ten of them: flat means the same latency
# at each size.
SCALE = (10_000, 100_000, 1_000_000)
SECONDS_PER_EVENT = 0.4e-3  # generate, produce and load through a rebuild, on 2 cores


def sizes(events: int | None, customers: int | None) -> list[tuple[int, int, str]]:
    """(opportunity events, customers, note) to measure: 10k, 100k and 1M opportunity events
    unless told otherwise; under BENCH_BUDGET_S, the sizes whose load fits the time left
    after the smaller ones (the rows say which were left out); BENCH_QUICK: 10k only."""
    if events is not None:
        customers = customers or max(1, events // 11)
        return [(events - customers, customers, "")]
    wanted = [(n, customers or n // 10, "") for n in SCALE]
    if os.environ.get("BENCH_QUICK"):
        return wanted[:1]
    budget = os.environ.get("BENCH_BUDGET_S")
    if budget is None:
        return wanted
    left, fitting = float(budget), []
    for opportunities, people, note in wanted:
        cost = 60 + (opportunities + people) * SECONDS_PER_EVENT  # + asking the reports
        if cost > left:
            break
        fitting.append((opportunities, people, note))
        left -= cost
    return fitting or wanted[:1]


async def measure(
    opportunities: int, customers: int, note: str, deadline: float
) -> list[tuple[str, str, list[float]]]:
    """Load a company of that size into a fresh platform and ask every report."""
    generated = company(customers, opportunities)
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
    return results


async def main(plan: list[tuple[int, int, str]], deadline: float) -> None:
    for index, (opportunities, customers, note) in enumerate(plan):
        # Each size gets the time left over the sizes still to come, weighted by their size.
        weights = [o + c for o, c, _ in plan[index:]]
        share = weights[0] / sum(weights)
        end = time.perf_counter() + (deadline - time.perf_counter()) * share
        await measure(opportunities, customers, note, end)
    skipped = [n for n in SCALE if n not in {o for o, _, _ in plan}]
    if skipped:
        row(
            "report latency at " + ", ".join(f"{n:,}" for n in skipped) + " opportunity events",
            "not measured",
            note="its load does not fit this run's time budget: "
            "`python bench/reporting_latency.py` measures every size (about 7 min for 1M)",
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="all events (customers too)")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    args = parser.parse_args()
    plan = sizes(args.events, args.customers)
    limit = args.timeout or float(os.environ.get("BENCH_BUDGET_S", 3600))
    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(main(plan, started + limit), limit))
    log(f"total {time.perf_counter() - started:.0f} s")
