"""The event feed for integrators who cannot reach Kafka: every event of your company, in
order, from any point within the retention; as pages or as a Server-Sent Events stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from servicekit.app import SessionsDep
from servicekit.auth import Principal, PrincipalDep, Role
from servicekit.errors import FieldError, Forbidden, InvalidInput

from crm_notifications.domain.cursor import FeedPosition, InvalidCursor
from crm_notifications.domain.patterns import InvalidPattern, check_pattern
from crm_notifications.entrypoints.api.deps import ServicesDep
from crm_notifications.entrypoints.api.schemas import FeedEntry, FeedRead
from crm_notifications.service_layer import feed

router = APIRouter(prefix="/feed", tags=["feed"])

After = Annotated[str | None, Query(max_length=200, description="A cursor from an earlier answer.")]
Since = Annotated[
    datetime | None, Query(description="Start at the first event recorded at or after this.")
]
Types = Annotated[
    str | None,
    Query(max_length=2000, description="Comma-separated event types; `*` matches any text."),
]


def _cursor(value: str | None, field: str) -> FeedPosition | None:
    if not value:
        return None
    try:
        return FeedPosition.decode(value)
    except InvalidCursor as exc:
        raise InvalidInput(str(exc), errors=[FieldError(field, "not a cursor")]) from exc


def _types(value: str | None) -> list[str]:
    try:
        return [check_pattern(t.strip()) for t in (value or "").split(",") if t.strip()]
    except InvalidPattern as exc:
        raise InvalidInput(str(exc), errors=[FieldError("types", str(exc))]) from exc


def _reader(principal: Principal) -> Principal:
    if principal.roles <= {Role.PORTAL}:
        raise Forbidden("The event feed is for the company's staff and integrators.")
    return principal


@router.get("", response_model=FeedRead)
async def read_feed(
    principal: PrincipalDep,
    sessions: SessionsDep,
    services: ServicesDep,
    after: After = None,
    since: Since = None,
    types: Types = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> FeedRead:
    """A page of events after `after` (or from `since`, or from the oldest kept). Pass
    `next` as `after` to continue: nothing is skipped and nothing repeats. A cursor older than
    the retention answers 410."""
    page = await feed.read_page(
        sessions,
        _reader(principal),
        after=_cursor(after, "after"),
        since=since,
        types=_types(types),
        limit=min(limit, services.settings.feed_page_max),
    )
    return FeedRead(
        items=[FeedEntry(cursor=i.position.encode(), event=i.envelope) for i in page.items],
        next=page.next.encode(),
        has_more=page.has_more,
    )


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_feed(
    request: Request,
    principal: PrincipalDep,
    sessions: SessionsDep,
    services: ServicesDep,
    after: After = None,
    since: Since = None,
    types: Types = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=200)] = None,
) -> StreamingResponse:
    """The same events as Server-Sent Events: `id` is the cursor, `event` the type, `data`
    the CloudEvent. Reconnect with `Last-Event-ID` to resume exactly after the last one."""
    reader = _reader(principal)
    position = _cursor(last_event_id, "Last-Event-ID") or _cursor(after, "after")
    patterns = _types(types)
    settings = services.settings
    # Fail before the stream starts (e.g. an expired cursor answers 410, not a broken stream).
    first = await feed.read_page(
        sessions, reader, after=position, since=since, types=patterns, limit=100
    )

    async def events() -> AsyncIterator[str]:
        page = first
        loop = asyncio.get_running_loop()
        ends = loop.time() + settings.feed_stream_max_s
        idle_since = loop.time()
        yield f"retry: {int(settings.feed_stream_poll_s * 1000)}\n\n"
        while True:
            for item in page.items:
                data = json.dumps(item.envelope, separators=(",", ":"))
                cursor, kind = item.position.encode(), item.envelope["type"]
                yield f"id: {cursor}\nevent: {kind}\ndata: {data}\n\n"
            if page.items:
                idle_since = loop.time()
            elif loop.time() - idle_since > 15:
                yield ": keep-alive\n\n"
                idle_since = loop.time()
            if not page.has_more:
                if loop.time() >= ends or await request.is_disconnected():
                    return
                await asyncio.sleep(min(settings.feed_stream_poll_s, max(ends - loop.time(), 0)))
            page = await feed.read_page(
                sessions, reader, after=page.next, since=None, types=patterns, limit=100
            )

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
