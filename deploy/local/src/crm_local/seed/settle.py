"""Watching events arrive, from each service's public `/metrics`.

The sales service and the service desk learn customers and contacts from events; asking them
about a customer before its event arrived gets "unknown customer". Rather than hammer them
with requests that are refused, the seed waits until they applied as many of those events as
it caused (`crm_consumer_applied_total`). At the end it waits until every outbox is published
and every consumer has caught up (`crm_outbox_backlog`, `crm_consumer_lag`), so the reports
show the whole company.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence

import httpx

METRIC = re.compile(r"^(crm_[a-z_]+)\{([^}]*)\} (\S+)$", re.MULTILINE)
LABEL = re.compile(r'(\w+)="([^"]*)"')


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every crm_* sample."""
    return [
        (name, dict(LABEL.findall(labels)), float(value))
        for name, labels, value in METRIC.findall(text)
    ]


class Watch:
    def __init__(self, urls: Mapping[str, str]) -> None:
        self._urls = dict(urls)
        self._client = httpx.AsyncClient(timeout=10)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _samples(self, service: str) -> list[tuple[str, dict[str, str], float]]:
        response = await self._client.get(f"{self._urls[service]}/metrics")
        response.raise_for_status()
        return parse(response.text)

    async def applied(self, event_type: str, services: Sequence[str]) -> dict[str, float]:
        """How many events of `event_type` each service's consumer has applied so far."""
        counts = {}
        for service in services:
            try:
                samples = await self._samples(service)
            except httpx.HTTPError:
                counts[service] = 0.0
                continue
            counts[service] = sum(
                value
                for name, labels, value in samples
                if name == "crm_consumer_applied_total" and labels.get("type") == event_type
            )
        return counts

    async def until_applied(
        self, event_type: str, before: Mapping[str, float], count: int, *, timeout_s: float = 90
    ) -> bool:
        """Wait until each service applied `count` more `event_type` events than `before`.
        False on timeout (a restarted service counts from zero again): callers then rely on
        retrying the requests that depend on them."""
        if count <= 0:
            return True
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = await self.applied(event_type, list(before))
            if all(now[s] >= before[s] + count for s in before):
                return True
            await asyncio.sleep(0.3)
        return False

    async def until_settled(self, *, timeout_s: float, quiet_s: float = 1.5) -> bool:
        """True once every outbox is published and every consumer has caught up, seen
        `quiet_s` apart (lag is measured at each fetch, so one reading may be stale)."""
        deadline = time.monotonic() + timeout_s
        calm_since: float | None = None
        while time.monotonic() < deadline:
            try:
                pages = await asyncio.gather(*(self._samples(s) for s in self._urls))
                pending = sum(
                    value
                    for samples in pages
                    for name, _, value in samples
                    if name in ("crm_outbox_backlog", "crm_consumer_lag")
                )
            except httpx.HTTPError:
                pending = 1.0
            now = time.monotonic()
            if pending:
                calm_since = None
            elif calm_since is None:
                calm_since = now
            elif now - calm_since >= quiet_s:
                return True
            await asyncio.sleep(0.5)
        return False
