"""The results page from fake rows: no platform, no timing (run: pytest bench/tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench.hooks import parse_rows
from bench.httpload import RequestSpec
from bench.loadgen import Measured, merge, wrk_script
from bench.report import Machine, Row, percentile, render, write


def rows() -> list[Row]:
    return [
        Row(
            "1 write path",
            "POST /customers",
            "812 req/s",
            "≥ 0.8 of baseline",
            "0.74",
            False,
            "load 1.0",
            "a | pipe",
        ),
        Row("2 event latency", "p50", "14 ms", "≤ 20 ms", "0.70 of target", True),
        Row("5 footprint", "customers RSS", "116 MiB / 125 MiB"),
    ]


def test_the_page_has_the_date_the_machine_and_one_line_per_figure() -> None:
    machine = Machine(cores=2, cpu_model="Test CPU", ram_gib=24.0, python="3.11.7")
    page = render(
        rows(),
        machine=machine,
        started=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        elapsed_s=600,
        notes={"Method": ["one", "```\ncode\n```"]},
    )
    assert "2026-11-23 12:00 UTC" in page
    assert "2 cores (Test CPU), 24.0 GiB RAM" in page
    table = [line for line in page.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 3  # header + rows
    assert "| **no** |" in table[1]
    assert "| yes |" in table[2]
    assert "| — |" in table[3]
    assert "a \\| pipe" in table[1]  # a cell's pipe does not break the table
    assert "## Method" in page
    assert "- one" in page


def test_write_leaves_markdown_and_json_side_by_side(tmp_path: Path) -> None:
    out = tmp_path / "latest.md"
    write(out, rows(), machine=Machine(), started=datetime.now(UTC), elapsed_s=1.0)
    data = json.loads(out.with_suffix(".json").read_text())
    assert [r["figure"] for r in data["rows"]] == [r.figure for r in rows()]
    assert out.read_text().startswith("# Benchmark results")


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 50) is None


def test_merged_runs_add_up_and_keep_percentiles_between_the_runs() -> None:
    fast = Measured("wrk", 100, 1.0, 0.01, 0.02, 0.03, 0, 0.1, grid=[0.01] * 1000)
    slow = Measured("wrk", 100, 1.0, 0.03, 0.04, 0.05, 1, 0.1, grid=[0.03] * 1000)
    both = merge([fast, slow])
    assert both.requests == 200
    assert both.errors == 1
    assert both.rate == 100.0
    assert both.p50_s in (0.01, 0.03)
    assert both.p99_s == 0.03


def test_a_script_row_line_becomes_a_table_row() -> None:
    out = 'noise\nBENCH-ROW {"figure": "funnel p50", "value": "3 ms", "met": true}\nBENCH-ROW {bad'
    parsed = parse_rows("reporting_scale", out)
    assert parsed[0].section == "4 scale"
    assert parsed[0].met is True
    assert "unreadable" in parsed[1].figure


def test_the_wrk_script_carries_the_body_template_and_tokens() -> None:
    spec = RequestSpec("POST", "/x", template='{"n": %d, "id": "%s"}', tokens=["t1"], ids=["a"])
    script = wrk_script(spec, offset=10)
    assert "local counter = 10" in script
    assert "[==[t1]==]" in script
    assert "string.format(template, counter, ids" in script
