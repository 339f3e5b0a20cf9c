"""`Idempotency-Key` on POST: a client retry gets the first response instead of a second write.

Keys are scoped by tenant and user (verified token), remembered with a fingerprint of the
request, and locked while the first request runs: a concurrent duplicate gets 409, a key
reused for a different request gets 422 (draft-ietf-httpapi-idempotency-key-header).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.auth import TokenVerifier
from servicekit.errors import Problem, problem_response
from servicekit.tables import idempotency_keys

LOCK_FOR = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        runtime = getattr(scope["app"].state, "runtime", None)
        if not key or runtime is None:
            await self.app(scope, receive, send)
            return
        try:
            tenant, user = _caller(runtime.verifier, headers)
        except Problem:
            await self.app(scope, receive, send)  # the route answers 401 itself
            return
        if len(key) > MAX_KEY_LENGTH:
            await problem_response(
                422, "Invalid input", f"Idempotency-Key longer than {MAX_KEY_LENGTH} characters"
            )(scope, receive, send)
            return

        body, receive = await _buffer_body(receive)
        fingerprint = hashlib.sha256(
            b"\0".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        ident = {"tenant_id": tenant, "principal": user, "key": key}
        sessions: async_sessionmaker[AsyncSession] = runtime.session_factory

        stored = await _claim(sessions, ident, fingerprint)
        if stored is not None:
            await _answer_from(stored, fingerprint)(scope, receive, send)
            return

        captured: dict[str, Any] = {"status": None, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await _release(sessions, ident)
            raise
        status = captured["status"] or 500
        if status >= 500:
            await _release(sessions, ident)  # nothing happened for sure; let a retry run
            return
        await _remember(sessions, ident, status, Headers(raw=captured["headers"]), captured["body"])


def _caller(verifier: TokenVerifier, headers: Headers) -> tuple[str, str]:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise Problem("no bearer token")
    principal = verifier.verify(token.strip())
    return principal.tenant, principal.user_id


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _claim(
    sessions: async_sessionmaker[AsyncSession], ident: dict[str, str], fingerprint: str
) -> Any:
    """None when this request now holds the key; else the stored row to answer from."""
    async with sessions() as session, session.begin():
        inserted = await session.scalar(
            insert(idempotency_keys)
            .values(**ident, fingerprint=fingerprint, locked_until=func.now() + LOCK_FOR)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
        if inserted is not None:
            return None
        where = and_(*(idempotency_keys.c[k] == v for k, v in ident.items()))
        row = (await session.execute(select(idempotency_keys).where(where).with_for_update())).one()
        if row.status_code is None and row.fingerprint == fingerprint:
            # The first attempt died without an answer (lock expired): this one takes over.
            taken = await session.execute(
                update(idempotency_keys)
                .where(where, idempotency_keys.c.locked_until < func.now())
                .values(locked_until=func.now() + LOCK_FOR)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return None
        return row


def _answer_from(row: Any, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        return problem_response(
            422,
            "Invalid input",
            "This Idempotency-Key was used for a different request; use a new key.",
        )
    if row.status_code is None:
        return problem_response(
            409,
            "Conflict",
            "A request with this Idempotency-Key is still in progress.",
            headers={"Retry-After": "1"},
        )
    response = Response(row.body, status_code=row.status_code, media_type=row.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    if row.location:
        response.headers["Location"] = row.location
    if row.etag:
        response.headers["ETag"] = row.etag
    return response


async def _remember(
    sessions: async_sessionmaker[AsyncSession],
    ident: dict[str, str],
    status: int,
    headers: Headers,
    body: bytes,
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(idempotency_keys)
            .where(and_(*(idempotency_keys.c[k] == v for k, v in ident.items())))
            .values(
                status_code=status,
                content_type=headers.get("content-type"),
                location=headers.get("location"),
                etag=headers.get("etag"),
                body=body,
                locked_until=None,
            )
        )


async def _release(sessions: async_sessionmaker[AsyncSession], ident: dict[str, str]) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            delete(idempotency_keys).where(
                and_(*(idempotency_keys.c[k] == v for k, v in ident.items())),
                idempotency_keys.c.status_code.is_(None),
            )
        )
