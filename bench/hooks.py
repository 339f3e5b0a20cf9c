"""Benchmarks that live next to this package as scripts: `bench/reporting_*.py` (the reporting
service's 1M-event rebuild and report latency at scale, written with the reporting service).

How a script joins `make bench` (see bench/README.md):
- it runs as `python bench/<name>.py` from the repository root, with no arguments, and must
  finish within `BENCH_BUDGET_S` seconds (an environment variable; it is killed after that);
  `BENCH_QUICK=1` asks for small sizes;
- every stdout line `BENCH-ROW {json}` becomes a row of the results table; the JSON has
  `figure` and `value`, optionally `section` (default: "3 relay, consumer" for
  reporting_rebuild*, else "4 scale"), `target`, `ratio`, `met` (true/false), `load`, `note`;
- whatever else it prints is kept in bench/results/hooks/<name>.log, its last lines quoted
  under the table.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from bench.context import BENCH_DIR, ROOT, Context
from bench.report import Row

PATTERN = "reporting_*.py"
ROW_PREFIX = "BENCH-ROW "


def scripts() -> list[Path]:
    return sorted(BENCH_DIR.glob(PATTERN))


def has_rebuild_script() -> bool:
    """The reporting service measures its own 1M-event rebuild."""
    return any(s.stem.startswith("reporting_rebuild") for s in scripts())


def has_report_scripts() -> bool:
    """The reporting service measures its reports at scale (any script but the rebuild)."""
    return any(not s.stem.startswith("reporting_rebuild") for s in scripts())


def _default_section(name: str) -> str:
    return "3 relay, consumer" if name.startswith("reporting_rebuild") else "4 scale"


def parse_rows(name: str, output: str) -> list[Row]:
    rows = []
    for line in output.splitlines():
        if not line.startswith(ROW_PREFIX):
            continue
        try:
            data = json.loads(line[len(ROW_PREFIX) :])
            rows.append(
                Row(
                    section=str(data.get("section") or _default_section(name)),
                    figure=str(data["figure"]),
                    value=str(data["value"]),
                    target=str(data.get("target", "")),
                    ratio=str(data.get("ratio", "")),
                    met=data.get("met"),
                    load=str(data.get("load") or f"load {os.getloadavg()[0]:.2f}"),
                    note=str(data.get("note", "")) + f" ({name}.py)",
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            rows.append(
                Row(_default_section(name), f"{name}: unreadable row", line[:200], note=repr(exc))
            )
    return rows


async def run(ctx: Context) -> None:
    found = scripts()
    if not has_report_scripts():
        ctx.add(
            Row(
                "4 scale",
                "funnel, forecast, value pyramid p50/p99 at 10k/100k/1M opportunities",
                "not measured yet",
                "flat",
                "",
                None,
                "",
                "hook: these reports and their benchmark scripts (bench/reporting_*.py) are "
                "being built with the reporting service; `make bench` runs them when they are "
                "there (contract in bench/hooks.py)",
            )
        )
    if not found:
        return
    logs = ctx.results_dir / "hooks"
    logs.mkdir(parents=True, exist_ok=True)
    for index, script in enumerate(found):
        name = script.stem
        left = len(found) - index
        budget = max(30.0, (ctx.remaining() - 20) / left)
        print(f"{name}: budget {budget:.0f} s", flush=True)
        env = {**os.environ, "BENCH_BUDGET_S": f"{budget:.0f}", "PYTHONUNBUFFERED": "1"}
        if ctx.quick:
            env["BENCH_QUICK"] = "1"
        began = time.monotonic()
        log = logs / f"{name}.log"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script.relative_to(ROOT)),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        timed_out = False
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), budget)
        except TimeoutError:
            timed_out = True
            proc.kill()
            out, _ = await proc.communicate()
        output = out.decode(errors="replace")
        log.write_text(output)
        took = time.monotonic() - began
        rows = parse_rows(name, output)
        for row in rows:
            ctx.add(row)
        if timed_out or proc.returncode or not rows:
            status = (
                f"killed after {budget:.0f} s (its budget)"
                if timed_out
                else f"exit code {proc.returncode}"
                if proc.returncode
                else "no BENCH-ROW lines"
            )
            ctx.add(
                Row(
                    _default_section(name),
                    f"{name}.py",
                    status,
                    note=f"log: bench/results/hooks/{name}.log",
                )
            )
        lines = [x for x in output.strip().splitlines() if not x.startswith(ROW_PREFIX)]
        tail = "\n".join(f"    {line}" for line in lines[-12:])
        ctx.note(f"{name}.py ({took:.0f} s)", tail or "(no output)")
