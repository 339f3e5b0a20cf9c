"""What each side of a benchmark costs: CPU and memory per process group, read from /proc.

The load generator, the services, PostgreSQL and the broker share two cores with whatever
else the machine runs (other engineers' test suites): a `Meter` samples every group's CPU
time and resident memory while a figure is measured, and the whole machine's busy time, so
each figure can say who used the CPU (`others` is the machine minus our processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

PidSource = Callable[[], Iterable[int]]


def cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process, in clock ticks (None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kb(pid: int) -> int:
    """Resident set size of one process in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split among their users, so a group's PSS adds
    up honestly (PostgreSQL backends share the buffer pool)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(root: int) -> set[int]:
    """The process and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found = {root}
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


@dataclass
class GroupUsage:
    cpu_s: float = 0.0
    peak_rss_kb: int = 0


@dataclass
class Usage:
    """What a measured interval cost, per group, and the machine around it."""

    seconds: float
    groups: dict[str, GroupUsage]
    machine_busy_pct: float  # of all cores together: 100% = both cores busy
    ncpu: int
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]

    def cpu_pct(self, group: str) -> float:
        """Percent of one core (100 = one core fully busy)."""
        usage = self.groups.get(group)
        return 100.0 * usage.cpu_s / self.seconds if usage and self.seconds else 0.0

    @property
    def ours_pct(self) -> float:
        return sum(self.cpu_pct(g) for g in self.groups)

    @property
    def others_pct(self) -> float:
        """Percent of one core used by processes outside the benchmark (other test suites)."""
        return max(0.0, self.machine_busy_pct * self.ncpu - self.ours_pct)

    def cpu_summary(self) -> str:
        parts = [f"{g} {self.cpu_pct(g):.0f}%" for g in self.groups]
        parts.append(f"others {self.others_pct:.0f}%")
        return "CPU (% of one core): " + ", ".join(parts)

    def load_note(self) -> str:
        """Load average (1 min) over the interval and the CPU left to others."""
        return (
            f"load {self.load_start[0]:.2f}→{self.load_end[0]:.2f} on {self.ncpu} cores; "
            f"machine busy {self.machine_busy_pct:.0f}%"
        )


@dataclass
class Meter:
    """Samples CPU time and RSS of process groups every `interval_s` while running."""

    groups: dict[str, PidSource]
    interval_s: float = 0.5
    _start_ticks: dict[str, dict[int, int]] = field(default_factory=dict)
    _last_ticks: dict[str, dict[int, int]] = field(default_factory=dict)
    _peak_rss: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _t0: float = 0.0
    _machine0: tuple[int, int] = (0, 0)
    _load0: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _pids(self, group: str) -> set[int]:
        try:
            return set(self.groups[group]())
        except Exception:
            return set()

    def _sample(self, *, first: bool = False) -> None:
        for group in self.groups:
            pids = self._pids(group)
            last = self._last_ticks.setdefault(group, {})
            start = self._start_ticks.setdefault(group, {})
            rss = 0
            for pid in pids:
                ticks = cpu_ticks(pid)
                if ticks is None:
                    continue
                if first:
                    start[pid] = ticks
                else:
                    start.setdefault(pid, 0)  # born during the interval: all of it counts
                last[pid] = ticks
                rss += rss_kb(pid)
            self._peak_rss[group] = max(self._peak_rss.get(group, 0), rss)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self._sample()

    def start(self) -> Meter:
        self._t0 = time.monotonic()
        self._machine0 = machine_ticks()
        self._load0 = os.getloadavg()
        self._sample(first=True)
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    async def stop(self) -> Usage:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        seconds = time.monotonic() - self._t0
        busy1, total1 = machine_ticks()
        busy = busy1 - self._machine0[0]
        total = total1 - self._machine0[1]
        groups = {
            g: GroupUsage(
                cpu_s=sum(
                    max(0, t - self._start_ticks[g].get(p, 0))
                    for p, t in self._last_ticks.get(g, {}).items()
                )
                / CLK_TCK,
                peak_rss_kb=self._peak_rss.get(g, 0),
            )
            for g in self.groups
        }
        return Usage(
            seconds=seconds,
            groups=groups,
            machine_busy_pct=100.0 * busy / total if total else 0.0,
            ncpu=os.cpu_count() or 1,
            load_start=self._load0,
            load_end=os.getloadavg(),
        )


def combine(usages: list[Usage]) -> Usage:
    """Several measured intervals as one (CPU adds up, peaks are the highest)."""
    if len(usages) == 1:
        return usages[0]
    seconds = sum(u.seconds for u in usages)
    names = dict.fromkeys(g for u in usages for g in u.groups)
    groups = {
        g: GroupUsage(
            cpu_s=sum(u.groups[g].cpu_s for u in usages if g in u.groups),
            peak_rss_kb=max(u.groups[g].peak_rss_kb for u in usages if g in u.groups),
        )
        for g in names
    }
    busy = sum(u.machine_busy_pct * u.seconds for u in usages) / seconds if seconds else 0.0
    return Usage(
        seconds=seconds,
        groups=groups,
        machine_busy_pct=busy,
        ncpu=usages[0].ncpu,
        load_start=usages[0].load_start,
        load_end=usages[-1].load_end,
    )


def fixed(*pids: int | None) -> PidSource:
    wanted = [p for p in pids if p]
    return lambda: wanted


def tree(pid: int | None) -> PidSource:
    """A process and its children (PostgreSQL: the postmaster and its backends)."""
    return lambda: descendants(pid) if pid else set()


def self_pid() -> PidSource:
    return fixed(os.getpid())


_ECHO = """import os, time
while (b := os.read(0, 1)):
    end = time.perf_counter() + 0.002
    while time.perf_counter() < end:
        pass
    os.write(1, b)
"""
_WORK_S = 0.002


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def hop_latency(samples: int = 200) -> tuple[float, float]:
    """(p50, p99) seconds one hop between two busy processes waits for a CPU: a pipe ping-pong
    where each side computes 2 ms per message, as a service and PostgreSQL do, minus that
    work. An idle machine answers in ~0.05 ms; a busy one makes a woken process that has
    been using CPU wait for its turn. Every request crosses several such hops (client,
    service, PostgreSQL, broker, consumer), so this says how the machine stretches them."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    waits = []
    try:
        for i in range(samples + 5):
            began = time.perf_counter()
            os.write(proc.stdin.fileno(), b"x")
            os.read(proc.stdout.fileno(), 1)
            if i >= 5:  # the child's start-up is not a hop
                waits.append(max(0.0, time.perf_counter() - began - _WORK_S))
            _spin(_WORK_S)
    finally:
        proc.stdin.close()
        proc.wait(5)
    waits.sort()
    return waits[len(waits) // 2], waits[min(len(waits) - 1, int(len(waits) * 0.99))]
