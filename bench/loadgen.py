"""The write-path load generator: wrk (Debian's, driven by a generated Lua script) when it is
installed, else bench.httpload (asyncio, in its own process). Both report throughput,
latency percentiles, statuses and their own CPU time, and `ceiling()` measures what the
generator itself can drive on this machine against a trivial server.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from servicekit.embedded.process import free_port, port_open

from bench.httpload import RequestSpec
from bench.procstat import CLK_TCK


@dataclass
class Measured:
    generator: str
    requests: int
    seconds: float
    p50_s: float | None
    p90_s: float | None
    p99_s: float | None
    errors: int  # non-2xx answers plus socket errors
    cpu_s: float  # the generator's own CPU during the run
    statuses: dict[str, int] = field(default_factory=dict)
    # Latency at the percentiles 0.05, 0.15, ..., 99.95 (seconds): lets runs be merged.
    grid: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_request_us(self) -> float:
        return 1e6 * self.cpu_s / self.requests if self.requests else 0.0


def merge(runs: list[Measured]) -> Measured:
    """Several runs as one: counts and times add up; percentiles come from the runs'
    percentile grids, each point weighted by its run's request count."""
    if len(runs) == 1:
        return runs[0]
    points = sorted(
        (value, run.requests / len(run.grid)) for run in runs if run.grid for value in run.grid
    )
    total = sum(weight for _, weight in points)

    def quantile(q: float) -> float | None:
        if not points:
            return None
        seen = 0.0
        for value, weight in points:
            seen += weight
            if seen >= q * total:
                return value
        return points[-1][0]

    statuses: dict[str, int] = {}
    for run in runs:
        for key, n in run.statuses.items():
            statuses[key] = statuses.get(key, 0) + n
    return Measured(
        generator=runs[0].generator,
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        p50_s=quantile(0.50),
        p90_s=quantile(0.90),
        p99_s=quantile(0.99),
        errors=sum(r.errors for r in runs),
        cpu_s=sum(r.cpu_s for r in runs),
        statuses=statuses,
        grid=[],
    )


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def wrk_script(spec: RequestSpec, offset: int) -> str:
    tokens = ",".join(_lua_string(t) for t in spec.tokens) or _lua_string("")
    ids = ",".join(_lua_string(i) for i in spec.ids) or _lua_string("")
    has_id = "true" if "%s" in spec.template else "false"
    extra = "".join(
        f"headers[{_lua_string(k)}] = {_lua_string(v)}\n  " for k, v in spec.headers.items()
    )
    return f"""
local template = {_lua_string(spec.template)}
local tokens = {{{tokens}}}
local ids = {{{ids}}}
local counter = {offset}
local has_id = {has_id}
local use_tokens = {"true" if spec.tokens else "false"}
request = function()
  counter = counter + 1
  local body
  if has_id then
    body = string.format(template, counter, ids[(counter % #ids) + 1])
  else
    body = string.format(template, counter)
  end
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  {extra}if use_tokens then
    headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]
  end
  return wrk.format({_lua_string(spec.method)}, {_lua_string(spec.path)}, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  local grid = {{}}
  for i = 0, 999 do
    grid[#grid + 1] = string.format("%d", latency:percentile((i + 0.5) / 10))
  end
  io.write(string.format(
    'WRK-JSON {{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"status_errors":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"grid_us":[%s]}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), e.status, e.connect, e.read, e.write, e.timeout,
    table.concat(grid, ",")))
end
"""


def _wait_rusage(proc: subprocess.Popen[bytes], timeout_s: float) -> float:
    """Wait for the child (killing it past the timeout) and return its CPU seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return float(usage.ru_utime + usage.ru_stime)
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)


def _run_collect(args: list[str], timeout_s: float) -> tuple[str, float, int]:
    """Run a child to completion: (stdout, its CPU seconds, pid)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        cpu = _wait_rusage(proc, timeout_s)
        out.seek(0)
        return out.read().decode(errors="replace"), cpu, proc.pid


class Wrk:
    name = "wrk"

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._offset = 0

    def describe(self) -> str:
        version = subprocess.run([self.binary, "-v"], capture_output=True, text=True).stdout
        first = (version.splitlines() or ["wrk"])[0]
        return f"{first.split(' Copyright')[0]} (1 thread, Lua script)"

    def _once(self, url: str, spec: RequestSpec, connections: int, seconds: float) -> Measured:
        self._offset += 10_000_000  # request numbers never repeat between runs
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(wrk_script(spec, self._offset))
        try:
            args = [
                self.binary,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ]
            out, cpu, _ = _run_collect(args, seconds + 30)
        finally:
            os.unlink(script.name)
        line = next((x for x in out.splitlines() if x.startswith("WRK-JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{out[-2000:]}")
        data = json.loads(line.split(" ", 1)[1])
        errors = data["status_errors"] + sum(
            data[k] for k in ("connect", "read", "write", "timeout")
        )
        return Measured(
            generator=self.name,
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            p50_s=data["p50_us"] / 1e6,
            p90_s=data["p90_us"] / 1e6,
            p99_s=data["p99_us"] / 1e6,
            errors=errors,
            cpu_s=cpu,
            statuses={"non-2xx/3xx": data["status_errors"]},
            grid=[us / 1e6 for us in data.get("grid_us", [])],
        )

    def run(
        self, url: str, spec: RequestSpec, *, connections: int, seconds: float, warmup_s: float
    ) -> Measured:
        if warmup_s > 0:
            self._once(url, spec, connections, warmup_s)
        return self._once(url, spec, connections, seconds)


class AsyncioClient:
    name = "asyncio"

    def describe(self) -> str:
        return "bench.httpload (asyncio + uvloop, raw HTTP/1.1, own process)"

    def run(
        self, url: str, spec: RequestSpec, *, connections: int, seconds: float, warmup_s: float
    ) -> Measured:
        host, port = url.split("://", 1)[1].rstrip("/").rsplit(":", 1)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(spec.__dict__, fh)
        try:
            args = [
                sys.executable,
                "-m",
                "bench.httpload",
                "--host",
                host,
                "--port",
                port,
                "--spec",
                fh.name,
                "--connections",
                str(connections),
                "--duration",
                str(seconds),
                "--warmup",
                str(warmup_s),
            ]
            out, _, _ = _run_collect(args, seconds + warmup_s + 60)
        finally:
            os.unlink(fh.name)
        data = json.loads(out.strip().splitlines()[-1])
        statuses = data["statuses"]
        errors = data["errors"] + sum(n for s, n in statuses.items() if not s.startswith("2"))
        return Measured(
            generator=self.name,
            requests=data["requests"],
            seconds=data["seconds"],
            p50_s=data["p50_s"],
            p90_s=data["p90_s"],
            p99_s=data["p99_s"],
            errors=errors,
            cpu_s=data["cpu_s"],
            statuses=statuses,
            grid=data.get("grid_s", []),
        )


def ensure_wrk(*, install: bool) -> str | None:
    """wrk's path; with `install`, try Debian's package when it is missing (as root)."""
    found = shutil.which("wrk")
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("wrk is missing: installing Debian's package (apt-get install wrk)", flush=True)
    for commands in (
        [["apt-get", "install", "-y", "-qq", "wrk"]],
        [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]],
    ):
        for command in commands:
            subprocess.run(command, capture_output=True, timeout=300, check=False)
        if found := shutil.which("wrk"):
            return found
    print("could not install wrk: the asyncio client generates the load", flush=True)
    return None


def pick(prefer: str = "wrk", *, install: bool = True) -> Wrk | AsyncioClient:
    if prefer == "wrk" and (binary := ensure_wrk(install=install)):
        return Wrk(binary)
    return AsyncioClient()


@dataclass
class Ceiling:
    generator: str
    rate: float  # against the trivial server (the server is likely the limit)
    cpu_per_request_us: float
    server_cpu_pct: float
    generator_cpu_pct: float

    @property
    def one_core_rate(self) -> float:
        """Requests per second the generator could drive with one core to itself."""
        return 1e6 / self.cpu_per_request_us if self.cpu_per_request_us else 0.0


async def ceiling(
    gen: Wrk | AsyncioClient, spec: RequestSpec, *, connections: int, seconds: float
) -> Ceiling:
    """The generator against bench.fastserver (a canned answer): its rate there and its CPU
    per request; a benchmark whose rate is far below both is not limited by the generator."""
    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
        [sys.executable, "-m", "bench.fastserver", "--port", str(port), "--seconds", "120"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", port):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("bench.fastserver did not start")
            await asyncio.sleep(0.05)
        from bench.procstat import cpu_ticks

        before = cpu_ticks(server.pid) or 0
        measured = await asyncio.to_thread(
            gen.run,
            f"http://127.0.0.1:{port}",
            spec,
            connections=connections,
            seconds=seconds,
            warmup_s=0,
        )
        server_cpu = ((cpu_ticks(server.pid) or before) - before) / CLK_TCK
    finally:
        server.terminate()
        server.wait(10)
    return Ceiling(
        generator=gen.name,
        rate=measured.rate,
        cpu_per_request_us=measured.cpu_per_request_us,
        server_cpu_pct=100 * server_cpu / measured.seconds if measured.seconds else 0.0,
        generator_cpu_pct=100 * measured.cpu_s / measured.seconds if measured.seconds else 0.0,
    )


def spec_json(spec: RequestSpec) -> dict[str, Any]:
    return dict(spec.__dict__)
