"""What every section gets: sizes for this run, the time budget, and where figures go."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import AsyncioClient, Wrk
from bench.procstat import Usage
from bench.report import Row

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


@dataclass(frozen=True)
class Sizes:
    """Durations and sizes; `quick` shrinks everything to check the harness in ~3 minutes."""

    write_seconds: float = 15.0
    write_warmup_s: float = 3.0
    clients: int = 32
    latency_rate: float = 200.0
    latency_seconds: float = 20.0
    # A light load too: the event path's own latency, without a saturated write path.
    light_rate: float = 20.0
    light_seconds: float = 10.0
    relay_backlog: int = 100_000
    rebuild_events: int = 1_000_000
    rebuild_budget_s: float = 120.0
    scale_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    scale_requests: int = 200

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            write_seconds=4.0,
            write_warmup_s=1.0,
            latency_seconds=4.0,
            light_seconds=3.0,
            relay_backlog=5_000,
            rebuild_events=20_000,
            rebuild_budget_s=30.0,
            scale_sizes=(1_000, 10_000),
            scale_requests=40,
        )


@dataclass
class Context:
    sizes: Sizes
    loadgen: Wrk | AsyncioClient
    deadline: float  # time.monotonic() by which everything must be done
    quick: bool = False
    profile: bool = False
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    results_dir: Path = BENCH_DIR / "results"
    hops: list[tuple[str, float, float, str]] = field(default_factory=list)
    # Measured values the notes quote (bench.notes), by name.
    facts: dict[str, float] = field(default_factory=dict)

    async def probe_machine(self, when: str) -> None:
        """Record how long one hop between processes takes right now (procstat.hop_latency)."""
        from bench.procstat import hop_latency, load_average

        p50, p99 = await asyncio.to_thread(hop_latency)
        self.hops.append((when, p50, p99, load_average()))

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        met = {True: "met", False: "MISSED", None: ""}[row.met]
        extra = f"  [target {row.target}, ratio {row.ratio or '—'}: {met}]" if row.target else ""
        print(f"  {row.section:<18} {row.figure}: {row.value}{extra}", flush=True)
        if row.load:
            print(f"  {'':<18}   {row.load}", flush=True)
        return row

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)


def load_cell(usage: Usage | None) -> str:
    if usage is None:
        return f"load {os.getloadavg()[0]:.2f}"
    return f"{usage.load_note()}; {usage.cpu_summary()}"
