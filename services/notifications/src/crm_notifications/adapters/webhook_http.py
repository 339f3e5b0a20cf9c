"""Webhook requests over HTTP: one POST per attempt, no redirects, a hard timeout.

The host is resolved and checked against the SSRF rules right before each attempt (a name
that pointed at a public address when saved may not point inside later).
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

from crm_notifications.domain.ssrf import UnsafeUrl, check_addresses, split_url

EXCERPT = 512


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after: str | None = None
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Resolver(Protocol):
    async def __call__(self, host: str, port: int) -> list[str]: ...


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_url(url: str, allowed_hosts: list[str], resolver: Resolver = resolve) -> None:
    """UnsafeUrl unless `url` is http(s) and resolves only to allowed addresses."""
    host, port = split_url(url)
    if host in {h.lower() for h in allowed_hosts}:
        return
    try:
        addresses = await resolver(host, port)
    except OSError as exc:
        raise UnsafeUrl(f"{host} does not resolve: {exc}") from exc
    check_addresses(host, addresses, allowed_hosts)


class WebhookClient:
    def __init__(self, *, timeout_s: float, allowed_hosts: list[str]) -> None:
        self._timeout = timeout_s
        self._allowed = allowed_hosts
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,
                headers={"user-agent": "crm-notifications-webhooks/1"},
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            )
        return self._client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpOutcome:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            await check_url(url, self._allowed)
        except UnsafeUrl as exc:
            return HttpOutcome(None, f"refused by SSRF protection: {exc}", elapsed())
        try:
            async with (
                asyncio.timeout(self._timeout + 1),
                self._http().stream(
                    "POST",
                    url,
                    content=body,
                    headers={"content-type": "application/json", **headers},
                ) as response,
            ):
                # Read no more of the answer than the log keeps, whatever the receiver sends.
                received = b""
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) >= EXCERPT:
                        break
                excerpt = received[:EXCERPT].decode(errors="replace") or None
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            return HttpOutcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return HttpOutcome(
            response.status_code,
            error,
            elapsed(),
            retry_after=response.headers.get("retry-after"),
            excerpt=excerpt,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
