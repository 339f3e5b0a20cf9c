"""Rows of figures, and the Markdown page `make bench` writes (bench/results/latest.md)."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Row:
    """One figure: what was measured, its value, the target and how it compares."""

    section: str  # "1 write path"
    figure: str  # "POST /customers, 32 clients: throughput"
    value: str  # "812 req/s"
    target: str = ""  # "≥ 0.8 of baseline"
    ratio: str = ""  # "0.74"
    met: bool | None = None  # None: no target, or not measurable here
    load: str = ""  # load average and CPU around the figure
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.met]


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_rate(per_s: float, unit: str) -> str:
    return f"{per_s:,.0f} {unit}/s"


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Machine:
    cores: int = field(default_factory=lambda: os.cpu_count() or 0)
    cpu_model: str = field(default_factory=_cpu_model)
    ram_gib: float = field(default_factory=_mem_total_gib)
    python: str = field(default_factory=lambda: sys.version.split()[0])
    kernel: str = field(default_factory=platform.release)
    load_at_start: str = field(
        default_factory=lambda: "/".join(f"{v:.2f}" for v in os.getloadavg())
    )
    load_at_end: str = ""
    code: str = ""  # which source tree and commit was measured

    def describe(self) -> str:
        return (
            f"{self.cores} cores ({self.cpu_model}), {self.ram_gib:.1f} GiB RAM, "
            f"Linux {self.kernel}, Python {self.python}"
        )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    rows: list[Row],
    *,
    machine: Machine,
    started: datetime,
    elapsed_s: float,
    notes: dict[str, list[str]] | None = None,
    mode: str = "full",
) -> str:
    """The results page: date, machine, one table of every figure, then notes per section."""
    lines = [
        "# Benchmark results",
        "",
        f"- **Date**: {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({mode} run, "
        f"{elapsed_s / 60:.1f} min)",
        f"- **Machine**: {machine.describe()}",
        f"- **Code measured**: {machine.code or 'this working tree'}",
        f"- **Load average** (1/5/15 min): {machine.load_at_start} at start, "
        f"{machine.load_at_end or '—'} at the end. The machine is shared: other engineers' "
        "test suites run on the same two cores, so every figure carries the load and the CPU "
        "of each side while it was measured (`others` = CPU used outside the benchmark).",
        "- **Command**: `make bench` (`python -m bench`); see bench/README.md for what each "
        "figure measures.",
        "",
        "| # | figure | value | target | ratio | met | load, CPU while measured | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    row.section,
                    row.figure,
                    row.value,
                    row.target or "—",
                    row.ratio or "—",
                    row.verdict,
                    row.load,
                    row.note,
                )
            )
            + " |"
        )
    for section, items in (notes or {}).items():
        if not items:
            continue
        lines += ["", f"## {section}", ""]
        lines += [
            item if item.startswith(("-", "    ", "```", "|")) else f"- {item}" for item in items
        ]
    return "\n".join(lines) + "\n"


def write(
    path: Path,
    rows: list[Row],
    *,
    machine: Machine,
    started: datetime,
    elapsed_s: float,
    notes: dict[str, list[str]] | None = None,
    mode: str = "full",
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(
        rows, machine=machine, started=started, elapsed_s=elapsed_s, notes=notes, mode=mode
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    data = {
        "date": started.isoformat(),
        "mode": mode,
        "elapsed_s": round(elapsed_s, 1),
        "machine": asdict(machine),
        "rows": [asdict(r) for r in rows],
        "notes": notes or {},
    }
    path.with_suffix(".json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
