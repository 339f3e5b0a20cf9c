"""5. Footprint: `crm up` time to ready, and each service's resident memory idle and under
load (the peak seen while the write-path and event-latency benchmarks ran), plus what the
idle platform costs in CPU (consumers polling the broker, relays, health checks)."""

from __future__ import annotations

import asyncio

from bench import procstat
from bench.context import Context, load_cell
from bench.crmup import SERVICES, Platform
from bench.report import Row

SECTION = "5 footprint"


def _mib(kb: int) -> str:
    return f"{kb / 1024:.0f} MiB"


def all_groups(platform: Platform) -> dict[str, procstat.PidSource]:
    groups: dict[str, procstat.PidSource] = {s: procstat.fixed(platform.pid(s)) for s in SERVICES}
    groups["broker"] = procstat.fixed(platform.broker_pid)
    groups["postgres"] = procstat.tree(platform.postgres_pid)
    groups["supervisor"] = procstat.fixed(int(platform.info["supervisor_pid"]))
    return groups


def postgres_pss_kb(platform: Platform) -> int:
    return sum(procstat.pss_kb(p) for p in procstat.descendants(platform.postgres_pid))


def started(ctx: Context, platform: Platform) -> None:
    times = platform.started
    assert times is not None
    parts = []
    if times.infra_s is not None:
        parts.append(f"PostgreSQL + broker up at {times.infra_s:.1f} s")
    if times.migrated_s is not None:
        parts.append(f"databases migrated and topics created at {times.migrated_s:.1f} s")
        parts.append(f"five services ready {times.wall_s - times.migrated_s:.1f} s later")
    ctx.add(
        Row(
            SECTION,
            "`crm up` time to ready (fresh home: initdb, 5 migrations, 5 services)",
            f"{times.wall_s:.1f} s",
            "",
            "",
            None,
            f"load {procstat.load_average()} (1/5 min) at ready",
            "; ".join(parts),
        )
    )


async def idle(ctx: Context, platform: Platform, seconds: float = 10.0) -> procstat.Usage:
    """The platform doing nothing for a while: CPU and memory at rest."""
    await asyncio.sleep(3)  # let start-up work (group joins, first polls) settle
    meter = procstat.Meter(all_groups(platform)).start()
    await asyncio.sleep(seconds if not ctx.quick else 4)
    usage = await meter.stop()
    busy = sum(usage.cpu_pct(s) for s in SERVICES)
    ctx.add(
        Row(
            SECTION,
            "idle platform: CPU",
            f"{busy:.0f}% of one core (5 services), broker {usage.cpu_pct('broker'):.0f}%, "
            f"PostgreSQL {usage.cpu_pct('postgres'):.0f}%",
            "",
            "",
            None,
            load_cell(usage),
            "; ".join(f"{s} {usage.cpu_pct(s):.1f}%" for s in SERVICES)
            + ": the consumers' fetch loops (Tansu answers each fetch after "
            "fetch_max_wait_ms) and relay/readiness polling",
        )
    )
    return usage


def under_load(
    ctx: Context,
    platform: Platform,
    idle_usage: procstat.Usage,
    load: procstat.Usage,
    pg_idle_kb: int,
) -> None:
    for service in SERVICES:
        rest = idle_usage.groups[service].peak_rss_kb
        busy = load.groups[service].peak_rss_kb
        ctx.add(
            Row(
                SECTION,
                f"{service}: resident memory idle / under load",
                f"{_mib(rest)} / {_mib(busy)}",
                "",
                "",
                None,
                "",
                f"peak while loaded; {load.cpu_pct(service):.0f}% of one core on average "
                "over the load phase",
            )
        )
    ctx.add(
        Row(
            SECTION,
            "broker (Tansu, memory storage): resident memory idle / under load",
            f"{_mib(idle_usage.groups['broker'].peak_rss_kb)} / "
            f"{_mib(load.groups['broker'].peak_rss_kb)}",
            "",
            "",
            None,
            "",
            "grows with what the topics hold: the embedded broker keeps every message in RAM",
        )
    )
    ctx.add(
        Row(
            SECTION,
            "PostgreSQL (all backends, PSS) idle / after load",
            f"{_mib(pg_idle_kb)} / {_mib(postgres_pss_kb(platform))}",
            "",
            "",
            None,
            load_cell(load),
            "proportional set size, so the shared buffer pool counts once",
        )
    )
