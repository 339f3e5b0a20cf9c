"""Sampling profiles of a running service with py-spy (`uvx py-spy`, fetched from PyPI on
first use; nothing is added to the project). `python -m bench --profile` records each
service while it is under load and summarises where its time goes.

Summaries: "self" is time in the frame itself, "total" includes what it calls; both in % of
the samples (100 Hz, the GIL-holding thread and idle time excluded by py-spy's defaults).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def available() -> bool:
    return shutil.which("uvx") is not None or shutil.which("py-spy") is not None


def _command() -> list[str]:
    return ["py-spy"] if shutil.which("py-spy") else ["uvx", "py-spy"]


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match.group("file")
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


LIBRARIES = (
    ("jwt/", "PyJWT + cryptography (token verification)"),
    ("cryptography/", "PyJWT + cryptography (token verification)"),
    ("sqlalchemy/", "SQLAlchemy (ORM, Core, asyncio adapter)"),
    ("greenlet", "SQLAlchemy (ORM, Core, asyncio adapter)"),
    ("asyncpg/", "asyncpg"),
    ("pydantic", "pydantic"),
    ("phonenumbers/", "phonenumbers"),
    ("email_validator/", "email-validator"),
    ("aiokafka/", "aiokafka"),
    ("kafka/", "aiokafka"),
    ("structlog/", "logging"),
    ("logging/", "logging"),
    ("prometheus_client/", "prometheus_client"),
    ("uvicorn/", "uvicorn"),
    ("httptools", "uvicorn"),
    ("fastapi/", "FastAPI / Starlette"),
    ("starlette/", "FastAPI / Starlette"),
    ("anyio/", "thread pool hand-off (sync dependencies)"),
    ("threading.py", "thread pool hand-off (sync dependencies)"),
    ("queue.py", "thread pool hand-off (sync dependencies)"),
    ("concurrent/", "thread pool hand-off (sync dependencies)"),
    ("servicekit/", "servicekit"),
    ("crm_", "service code (crm_*)"),
    ("crm_contracts/", "crm_contracts"),
    ("json/", "json"),
    ("uuid.py", "uuid"),
    ("asyncio/", "asyncio event loop"),
)


def library(frame: str) -> str:
    for marker, name in LIBRARIES:
        if marker in frame:
            return name
    return "other"


def summarise(collapsed: str, top: int = 12) -> list[str]:
    """Where the samples' time goes: by library of the running frame (self time), the top
    frames, and the total time of the project's own functions (servicekit, crm_*)."""
    total_samples = 0
    by_library: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total_samples += n
        frames = [_short(f) for f in stack.split(";")]
        leaf = frames[-1]
        by_library[library(stack.split(";")[-1])] += n
        exclusive[leaf] += n
        for frame in {f for f in frames if "servicekit/" in f or "crm_" in f}:
            ours[frame] += n
    if not total_samples:
        return ["(no samples)"]

    def pct(n: int) -> str:
        return f"{100 * n / total_samples:5.1f}%"

    lines = [f"{total_samples} samples at 100 Hz (all threads)", "by library (self time):"]
    lines += [f"  {pct(n)}  {name}" for name, n in by_library.most_common(top)]
    lines.append("project functions (total time, within the sampled stack):")
    lines += [f"  {pct(n)}  {name}" for name, n in ours.most_common(top)]
    lines.append("hottest frames (self time):")
    lines += [f"  {pct(n)}  {name}" for name, n in exclusive.most_common(top)]
    return lines


async def _record(pid: int, out_dir: Path, name: str, seconds: float) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    target = out_dir / f"{name.replace(' ', '-')}.txt"
    command = [
        *_command(),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(seconds))),
        "--rate",
        "100",
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(target),
    ]
    try:
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, timeout=seconds + 120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"profile of {name}: py-spy failed ({exc!r})"
    if done.returncode != 0 or not target.exists():
        return f"profile of {name}: py-spy failed: {done.stderr.strip()[-300:]}"
    lines = summarise(target.read_text())
    return (
        f"Profile of {name} under load (py-spy; collapsed stacks in "
        f"bench/results/profiles/{target.name}), {lines[0]}:\n\n```\n"
        + "\n".join(lines[1:])
        + "\n```"
    )


def record(pid: int, out_dir: Path, name: str, seconds: float) -> Awaitable[str]:
    """Start recording now (in the background); await the result for its summary."""
    if not available():
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.set_result(f"profile of {name}: py-spy unavailable (no uvx)")
        return future
    return asyncio.ensure_future(_record(pid, out_dir, name, seconds))
