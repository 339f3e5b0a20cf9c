"""The README's "First five minutes", run command by command against a seeded platform.

The section's ```sh blocks run in order in one bash session (so `TOKEN=...` carries on), with
the README's ports replaced by the test platform's and `uv run crm` by this interpreter's
`crm`. The ```json block after a command block is what that block printed when the README was
written: each printed JSON value must have the same shape (keys, nesting, types) as the one
shown; ids, names and amounts differ from run to run. The first block (`make up`, then
`crm seed --demo`) is what the fixture does: `crm up` on free ports, then the seed, at the
small size so the test stays short.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from crm_local.supervisor import READY_MARKER
from crm_local.testing import START_TIMEOUT_S, CrmUp

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## First five minutes"
README_PORTS = {
    "customers": 8101,
    "sales": 8102,
    "service-desk": 8103,
    "notifications": 8104,
    "reporting": 8105,
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
START = ["make up", "uv run crm seed --demo"]


@dataclass
class Step:
    """One command block and the answers the README shows for it."""

    commands: str
    shown: list[Any] = field(default_factory=list)


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def steps(text: str) -> list[Step]:
    found: list[Step] = []
    for language, body in FENCE.findall(section(text)):
        if language == "sh":
            found.append(Step(body))
        elif language == "json":
            assert found, "an answer is shown before any command"
            found[-1].shown += values(body)
    return found


def values(text: str) -> list[Any]:
    """Every JSON value in `text`: one pretty document, or one per line (`jq -c`)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return found
        value, at = decoder.raw_decode(text, at)
        found.append(value)


def shape(value: Any) -> Any:
    """Keys and types, not values; a list is the shape of its first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def same_shape(shown: Any, got: Any) -> bool:
    """A null on either side matches anything (an unset date, a rate without data)."""
    if shown is None or got is None:
        return True
    if isinstance(shown, dict) and isinstance(got, dict):
        return shown.keys() == got.keys() and all(same_shape(shown[k], got[k]) for k in shown)
    if isinstance(shown, list) and isinstance(got, list):
        return not shown or not got or same_shape(shown[0], got[0])
    return bool(shape(shown) == shape(got))


def script(found: list[Step], ports: dict[str, int], outputs: Path) -> str:
    """One bash session: each block's output to its own file, stopping at the first error."""
    lines = ["set -euo pipefail"]
    for n, step in enumerate(found):
        commands = step.commands.replace("uv run crm ", f"{sys.executable} -m crm_local ")
        for name, port in README_PORTS.items():
            commands = commands.replace(f"127.0.0.1:{port}", f"127.0.0.1:{ports[name]}")
        lines.append(f"{{\n{commands}\n}} > {outputs / f'{n}.out'} 2> {outputs / f'{n}.err'}")
    return "\n".join(lines) + "\n"


def run(found: list[Step], ports: dict[str, int], env: dict[str, str], where: Path) -> list[str]:
    """Each block's stdout; fails naming the block that failed and what it said."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["bash", "-c", script(found, ports, where)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    printed = [
        (where / f"{n}.out").read_text() for n in range(len(found)) if (where / f"{n}.out").exists()
    ]
    if done.returncode != 0:
        n = len(printed) - 1
        err = (where / f"{n}.err").read_text()
        pytest.fail(f"block {n} failed:\n{found[n].commands}\nstdout: {printed[n]}\nstderr: {err}")
    return printed


@pytest.fixture(scope="module")
def seeded_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmUp]:
    """The first block: the platform up, then the demo company (small) in it."""
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.skip(f"the walkthrough uses {tool}")
    crm = CrmUp(tmp_path_factory.mktemp("readme") / "crm-home")
    try:
        crm.start()
        crm.wait_for_output(READY_MARKER, START_TIMEOUT_S)
        began = time.monotonic()
        seeded = crm.crm("seed", "--demo", "--size", "small", timeout=600)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        print(f"seeded (small) in {time.monotonic() - began:.1f} s")
        yield crm
    finally:
        crm.cleanup()


def test_the_walkthrough_starts_with_the_two_commands_a_newcomer_types() -> None:
    text = README.read_text()
    assert text.index("make up") < text.index("make test") < text.index(SECTION)
    first = steps(text)[0]
    typed = [line.split("#")[0].strip() for line in first.commands.splitlines()]
    assert [line for line in typed if line] == START
    assert not first.shown


@pytest.mark.timeout(600)
def test_every_command_of_the_walkthrough_answers_as_the_readme_shows(
    seeded_platform: CrmUp, tmp_path: Path
) -> None:
    found = steps(README.read_text())[1:]
    assert sum(bool(s.shown) for s in found) >= 6, "the README shows fewer answers than it did"
    services = seeded_platform.run_info()["services"]
    ports = {name: int(info["port"]) for name, info in services.items()}
    printed = run(found, ports, seeded_platform.env, tmp_path / "walkthrough")
    assert len(printed) == len(found)
    for step, out in zip(found, printed, strict=True):
        got = values(out)
        if not step.shown:
            continue
        # Each printed value looks like one the README shows, and each kind the README shows
        # was printed (how many rows a report has depends on the data).
        where = f"{step.commands}\nprinted:\n{out}"
        assert got, where
        for answer in got:
            assert any(same_shape(shown, answer) for shown in step.shown), (
                f"{where}\nnot like any shown: {json.dumps(shape(answer))}"
            )
        for shown in step.shown:
            assert any(same_shape(shown, answer) for answer in got), (
                f"{where}\nnothing like: {json.dumps(shape(shown))}"
            )


def test_shapes_compare_keys_and_types_not_values() -> None:
    assert same_shape({"a": 1, "b": [{"c": "x"}]}, {"a": 2.5, "b": [{"c": "y"}, {"c": "z"}]})
    assert same_shape({"a": None}, {"a": "2026-11-20"})
    assert not same_shape({"a": 1}, {"a": 1, "detail": "problem"})
    assert not same_shape({"a": "x"}, {"a": 3})
    assert values('{"a": 1}\n{"a": 2}\n') == [{"a": 1}, {"a": 2}]
