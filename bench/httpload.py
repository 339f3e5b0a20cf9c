"""A small asyncio HTTP/1.1 load generator: keep-alive connections, no HTTP library.

Two ways to load a server:
- closed loop (`closed_loop`): N connections, each sends its next request when the previous
  one is answered (N concurrent clients); the write-path fallback when wrk is missing;
- open loop (`paced`): requests leave at a fixed rate whatever the answers (the event
  latency benchmark's 200 writes/s), on as many connections as are needed.

It parses only what it needs (status line, Content-Length or chunked), so one core drives a
few thousand requests per second; `python -m bench.httpload` runs a closed loop in its own
process and prints JSON, so the generator's CPU is measured apart from everything else.

A request spec (JSON) describes the requests, the same one the wrk script gets:
    {"method": "POST", "path": "/customers", "template": "{\"name\": \"c %d\"}",
     "tokens": ["eyJ..."], "ids": ["3f0c..."]}
`template` takes the request number (%d) and, when it has a %s, an entry of `ids`; each
request carries the next token of `tokens` (rotating, so a per-user rate limit sees many
users as it would in production).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class HttpError(Exception):
    pass


@dataclass
class RequestSpec:
    method: str
    path: str
    template: str = ""
    tokens: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> RequestSpec:
        with open(path) as fh:
            return cls(**json.load(fh))

    def dump(self, path: str) -> None:
        with open(path, "w") as fh:
            json.dump(self.__dict__, fh)

    def body(self, n: int) -> bytes:
        if not self.template:
            return b""
        if "%s" in self.template:
            return (self.template % (n, self.ids[n % len(self.ids)])).encode()
        return (self.template % n).encode()

    def builder(self, host: str, port: int) -> Callable[[int], bytes]:
        """n -> the raw request bytes."""
        static = f"Host: {host}:{port}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in self.headers.items()
        )
        if self.template:
            static += "Content-Type: application/json\r\n"
        head = f"{self.method} {self.path} HTTP/1.1\r\n{static}"
        tokens = self.tokens

        def build(n: int) -> bytes:
            body = self.body(n)
            auth = f"Authorization: Bearer {tokens[n % len(tokens)]}\r\n" if tokens else ""
            return (head + auth + f"Content-Length: {len(body)}\r\n\r\n").encode() + body

        return build


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        writer.write(raw)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.close()
            raise HttpError(f"connection lost: {exc!r}") from exc
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            body = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await reader.readexactly(length or 0)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, sorted at the end
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    cpu_s: float = 0.0  # CPU of the generator's process during the measured interval

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        from bench.report import percentile

        lat = self.latencies
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "rate": self.rate,
            "p50_s": percentile(lat, 50),
            "p90_s": percentile(lat, 90),
            "p99_s": percentile(lat, 99),
            "max_s": lat[-1] if lat else None,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "grid_s": [percentile(lat, (i + 0.5) / 10) for i in range(1000)] if lat else [],
            "errors": self.errors,
            "cpu_s": self.cpu_s,
        }


def _cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def closed_loop(
    host: str,
    port: int,
    spec: RequestSpec,
    *,
    connections: int,
    duration_s: float,
    warmup_s: float = 0.0,
    max_requests: int = 1_000_000,
) -> LoadResult:
    """`connections` clients, each waiting for its answer before the next request; only
    what completes between warm-up and the end is counted."""
    build = spec.builder(host, port)
    numbers = itertools.count()
    result = LoadResult()
    loop = asyncio.get_running_loop()
    begin = loop.time()
    measure_from = begin + warmup_s
    end = measure_from + duration_s
    cpu_from: list[float] = []

    async def client() -> None:
        conn = Connection(host, port)
        try:
            while (now := loop.time()) < end:
                n = next(numbers)
                if n >= max_requests:
                    return
                if now >= measure_from and not cpu_from:
                    cpu_from.append(_cpu_now())
                sent = time.perf_counter()
                try:
                    status, _ = await conn.request(build(n))
                except (HttpError, OSError):
                    if loop.time() >= measure_from:
                        result.errors += 1
                    await asyncio.sleep(0.01)
                    continue
                took = time.perf_counter() - sent
                if loop.time() >= measure_from and loop.time() <= end:
                    result.latencies.append(took)
                    result.statuses[status] += 1
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    result.seconds = min(loop.time(), end) - measure_from
    result.requests = len(result.latencies)
    result.cpu_s = _cpu_now() - (cpu_from[0] if cpu_from else _cpu_now())
    result.latencies.sort()
    return result


async def paced(
    host: str,
    port: int,
    spec: RequestSpec,
    *,
    rate: float,
    count: int,
    on_answer: Callable[[int, int, bytes, float], None],
    max_connections: int = 64,
    deadline_s: float = 120.0,
) -> LoadResult:
    """Open loop: request i leaves at start + i/rate (never earlier), on a free connection
    (opening one when all are busy, up to `max_connections`). `on_answer(n, status, body,
    answered_at)` gets each answer with its time.monotonic()."""
    build = spec.builder(host, port)
    free: list[Connection] = []
    opened = 0
    result = LoadResult()
    loop = asyncio.get_running_loop()
    start = loop.time()
    slots = asyncio.Semaphore(max_connections)
    tasks: set[asyncio.Task[None]] = set()
    cpu0 = _cpu_now()

    async def one(n: int) -> None:
        nonlocal opened
        conn = free.pop() if free else None
        if conn is None:
            opened += 1
            conn = Connection(host, port)
        sent = time.perf_counter()
        try:
            status, body = await conn.request(build(n))
        except (HttpError, OSError):
            result.errors += 1
            conn.close()
            slots.release()
            return
        answered = time.monotonic()
        result.latencies.append(time.perf_counter() - sent)
        result.statuses[status] += 1
        free.append(conn)
        slots.release()
        on_answer(n, status, body, answered)

    for n in range(count):
        due = start + n / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if loop.time() - start > deadline_s:
            break
        await slots.acquire()
        task = loop.create_task(one(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    result.seconds = loop.time() - start
    result.requests = len(result.latencies)
    result.cpu_s = _cpu_now() - cpu0
    result.latencies.sort()
    for conn in free:
        conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="closed-loop HTTP load; prints JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spec", required=True, help="request spec JSON file")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host != "localhost":
        sys.exit("load goes to the loopback interface only")
    spec = RequestSpec.load(args.spec)
    run: Callable[..., Any] = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        run = uvloop.run
    result = run(
        closed_loop(
            args.host,
            args.port,
            spec,
            connections=args.connections,
            duration_s=min(args.duration, 120.0),
            warmup_s=args.warmup,
        )
    )
    out = result.to_json()
    out["pid"] = os.getpid()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
