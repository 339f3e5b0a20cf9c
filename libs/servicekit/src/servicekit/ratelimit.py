"""Per-caller rate limit: a token bucket per user (or per client address without a token).

In-process: each replica limits on its own, which bounds what one user can cost a replica
(the point: one runaway script cannot starve everybody); a gateway can add a global limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from servicekit.errors import problem_response

EXEMPT_PATHS = ("/livez", "/readyz", "/metrics")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`rate` requests per second on average, bursts up to `burst`; bounded memory (LRU)."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """0 when the request may go, else the seconds to wait for the next token."""
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def caller_key(scope: Scope) -> str:
    """Who is asking: the token's tenant and subject (unverified: only a bucket name; a
    forged token buys a bucket of its own but is refused by the route), else the address."""
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            claims = jwt.decode(token.strip(), options={"verify_signature": False})
            return f"user:{claims.get('tenant')}:{claims.get('sub')}"
        except jwt.PyJWTError:
            pass
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate=per_minute / 60, burst=burst) if per_minute else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(caller_key(scope), time.monotonic())
        if wait > 0:
            await problem_response(
                429,
                "Too many requests",
                f"Slow down: try again in {math.ceil(wait)} s.",
                headers={"Retry-After": str(math.ceil(wait))},
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)
