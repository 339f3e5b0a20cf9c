"""Per-request context: request id, trace context, log binding, latency metric, body cap."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import metrics
from servicekit.errors import problem_response
from servicekit.tracing import current_traceparent, new_traceparent, trace_id


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        max_body_bytes: int,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes
        self.upload_paths = upload_paths
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = (
            self.max_upload_bytes
            if self.upload_paths and scope["path"].startswith(self.upload_paths)
            else self.max_body_bytes
        )
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            # Refused before a byte of the body is read.
            await problem_response(
                413, "Payload too large", f"The body is {length} bytes; the limit is {limit}."
            )(scope, receive, send)
            return
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        traceparent = new_traceparent(headers.get("traceparent"))
        token = current_traceparent.set(traceparent)
        started = time.perf_counter()
        status = 500

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    (b"traceparent", traceparent.encode()),
                ]
            await send(message)

        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        try:
            with structlog.contextvars.bound_contextvars(
                request_id=request_id, trace_id=trace_id(traceparent)
            ):
                try:
                    await self.app(scope, capped_receive, send_with_ids)
                except BodyTooLarge as exc:
                    await problem_response(
                        413, "Payload too large", f"The body exceeds {exc.limit} bytes."
                    )(scope, receive, send_with_ids)
        finally:
            current_traceparent.reset(token)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            metrics.REQUEST_LATENCY.labels(
                self.service, scope["method"], template, str(status)
            ).observe(time.perf_counter() - started)


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing lets it through instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body exceeds {limit} bytes.")
        self.limit = limit
