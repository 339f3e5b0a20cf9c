"""The seed's HTTP client: one connection pool per service, a bounded number of requests in
flight per service, a deterministic `Idempotency-Key` on every POST, and patient retries.

What is retried: transport errors, 5xx, 429 (after Retry-After) and 409 "still in progress" with
the same key; and, when the caller says the request depends on facts another service learns
from events (a customer the sales service has not heard of yet), a 422 naming such a reference
is retried under a fresh key (the first answer is stored under the old one).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

# How long one request may keep failing in a retryable way before the seed gives up.
PATIENCE_S = 180.0
LAGGING_FIELDS = frozenset({"customer_id", "contact_id", "segment_id"})
_ID = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)(?=/|$)")


class SeedError(RuntimeError):
    """A request the seed cannot complete."""


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    replayed: int = 0
    lag_waits: int = 0
    by_service: dict[str, int] = field(default_factory=dict)
    # "POST sales /opportunities/{id}/stage" -> [requests, seconds spent waiting for answers]
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    def count(self, method: str, service: str, path: str, seconds: float) -> None:
        self.requests += 1
        self.by_service[service] = self.by_service.get(service, 0) + 1
        kind = f"{method} {service} {_ID.sub('/{id}', path.split('?')[0])}"
        tally = self.by_kind.setdefault(kind, [0, 0.0])
        tally[0] += 1
        tally[1] += seconds


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:300]}
    return body if isinstance(body, dict) else {"detail": str(body)[:300]}


def is_lag(response: httpx.Response) -> bool:
    """A 422 (or 403 about ownership) caused by another service's facts not having arrived
    yet: an unknown customer, contact or segment."""
    if response.status_code == 403:
        return "owner" in str(_problem(response).get("detail", ""))
    if response.status_code == 404:  # e.g. "No campaign ... (known from the sales events)"
        return "events" in str(_problem(response).get("detail", ""))
    if response.status_code != 422:
        return False
    problem = _problem(response)
    fields = problem.get("errors") or []
    if any(
        isinstance(e, dict)
        and e.get("field") in LAGGING_FIELDS
        and "unknown" in str(e.get("message", ""))
        for e in fields
    ):
        return True
    return "has not heard of" in str(problem.get("detail", ""))


def _key_conflict(response: httpx.Response) -> bool:
    return response.status_code == 422 and "Idempotency-Key" in str(
        _problem(response).get("detail", "")
    )


class Api:
    """`post`, `get`, `put`, `patch` against the services by name, as one user or another."""

    def __init__(
        self,
        urls: Mapping[str, str],
        token: Callable[[str], str],
        *,
        key_prefix: str,
        concurrency: int = 12,
        patience_s: float = PATIENCE_S,
    ) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._clients = {
            name: httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits)
            for name, url in urls.items()
        }
        self._slots = {name: asyncio.Semaphore(concurrency) for name in urls}
        self._token = token
        self._prefix = key_prefix
        self._patience_s = patience_s
        self.stats = Stats()

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients.values()))

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- verbs ----------------------------------------------------------------------------

    async def get(
        self, service: str, path: str, *, user: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        response = await self.request("GET", service, path, user=user, params=params)
        return response.json()

    async def post(
        self,
        service: str,
        path: str,
        *,
        user: str,
        key: str,
        body: Any = None,
        version: int | None = None,
        refresh: str | None = None,
        lag: bool = False,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """POST with `Idempotency-Key: <prefix>:<key>`.

        `version` goes out as If-Match. With `refresh` (the record's path), a missing version
        is read first and a stale one (412: a job or another service changed the record
        meanwhile) is read again and the change retried.
        """
        for _ in range(5):
            if version is None and refresh is not None:
                version = int((await self.get(service, refresh, user=user))["version"])
            headers = {} if version is None else {"If-Match": f'"{version}"'}
            ok_or_stale = (*ok, 412) if refresh is not None else ok
            response = await self.request(
                "POST",
                service,
                path,
                user=user,
                body=body,
                key=key,
                headers=headers,
                lag=lag,
                ok=ok_or_stale,
            )
            if response.status_code != 412:
                return response.json() if response.content else None
            version = None
            key = f"{key}:stale"  # the 412 is remembered under the old key
        raise SeedError(f"POST {service}{path}: the record keeps changing under the seed")

    async def put(
        self, service: str, path: str, *, user: str, body: Any, version: int | None = None
    ) -> Any:
        headers = {} if version is None else {"If-Match": f'"{version}"'}
        response = await self.request("PUT", service, path, user=user, body=body, headers=headers)
        return response.json()

    async def patch(self, service: str, path: str, *, user: str, body: Any, version: int) -> Any:
        headers = {"If-Match": f'"{version}"'}
        response = await self.request("PATCH", service, path, user=user, body=body, headers=headers)
        return response.json()

    async def upload(
        self, service: str, path: str, *, user: str, key: str, content: bytes, media_type: str
    ) -> httpx.Response:
        return await self.request(
            "POST",
            service,
            path,
            user=user,
            content=content,
            key=key,
            headers={"Content-Type": media_type},
            ok=(200, 202),
        )

    async def pages(
        self,
        service: str,
        path: str,
        *,
        user: str,
        params: Mapping[str, Any] | None = None,
        size: int = 200,
    ) -> list[dict[str, Any]]:
        """Every item of a paged list: the first page says how many, the rest come at once."""
        query = {**(params or {}), "limit": size, "offset": 0}
        first = await self.get(service, path, user=user, params=query)
        items: list[dict[str, Any]] = list(first["items"])
        rest = await asyncio.gather(
            *(
                self.get(service, path, user=user, params={**query, "offset": offset})
                for offset in range(size, int(first["total"]), size)
            )
        )
        for page in rest:
            items += page["items"]
        return items

    # -- the one place requests go out ----------------------------------------------------

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        user: str,
        body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
        lag: bool = False,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> httpx.Response:
        client = self._clients[service]
        deadline = time.monotonic() + self._patience_s
        attempt, generation, delay = 0, 0, 0.25
        while True:
            sent = dict(headers or {})
            sent["Authorization"] = f"Bearer {self._token(user)}"
            if key is not None:
                suffix = f":{generation}" if generation else ""
                sent["Idempotency-Key"] = f"{self._prefix}:{key}{suffix}"
            failure: str
            wait = delay
            try:
                async with self._slots[service]:
                    sent_at = time.monotonic()
                    try:
                        response = await client.request(
                            method, path, json=body, content=content, params=params, headers=sent
                        )
                    finally:
                        self.stats.count(method, service, path, time.monotonic() - sent_at)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in ok:
                    if response.headers.get("idempotent-replayed"):
                        self.stats.replayed += 1
                    return response
                failure = f"{response.status_code}: {_problem(response).get('detail')}"
                status = response.status_code
                if status == 429 or (status == 409 and "in progress" in failure):
                    wait = max(delay, float(response.headers.get("retry-after", "1")))
                elif status >= 500:
                    pass
                elif lag and is_lag(response):
                    self.stats.lag_waits += 1
                    generation += 1  # the refusal is stored under the key: use a new one
                elif key is not None and _key_conflict(response) and generation < 20:
                    generation += 1  # a key of an earlier run's different request
                    continue
                else:
                    raise SeedError(f"{method} {service}{path} -> {failure}{_echo(body)}")
            attempt += 1
            self.stats.retries += 1
            if time.monotonic() + wait > deadline:
                raise SeedError(
                    f"{method} {service}{path} still failing after {attempt} attempts "
                    f"({self._patience_s:.0f} s): {failure}"
                )
            await asyncio.sleep(wait)
            delay = min(delay * 2, 4.0)


def _echo(body: Any) -> str:
    if body is None:
        return ""
    text = json.dumps(body, ensure_ascii=False, default=str)
    return f"\n  request body: {text[:400]}"
