"""The customers service's segments, read over HTTP with the caller's own token.

Segment membership (static lists and saved filters) lives in the customers service and is
resolved there; the caller's token keeps its scope, so a mailing reaches only customers the
caller may see.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import httpx

from crm_notifications.domain.model import DomainError, NotFoundError

PAGE = 200
MAX_MEMBERS = 200_000


class SegmentMembers(Protocol):
    async def customers_of(self, segment_id: UUID, *, token: str) -> list[UUID]: ...


class CustomersClient:
    def __init__(self, base_url: str, *, timeout_s: float = 15.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s

    async def customers_of(self, segment_id: UUID, *, token: str) -> list[UUID]:
        found: list[UUID] = []
        async with httpx.AsyncClient(base_url=self._base, timeout=self._timeout) as client:
            offset = 0
            while offset < MAX_MEMBERS:
                try:
                    response = await client.get(
                        f"/segments/{segment_id}/members",
                        params={"limit": PAGE, "offset": offset},
                        headers={"authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError as exc:
                    raise DomainError(f"the customers service is unreachable: {exc}") from exc
                if response.status_code == 404:
                    raise NotFoundError(f"No segment {segment_id} you may see.")
                if response.status_code != 200:
                    raise DomainError(
                        f"the customers service answered {response.status_code} for the segment"
                    )
                page = response.json()
                found.extend(UUID(item["id"]) for item in page["items"])
                offset += PAGE
                if offset >= int(page["total"]) or not page["items"]:
                    break
        return found
