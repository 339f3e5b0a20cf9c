"""The per-caller rate limit."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from servicekit.ratelimit import RateLimitMiddleware, TokenBuckets


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    buckets = TokenBuckets(rate=2.0, burst=3)
    assert [buckets.take("u", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("u", 0.0) == 0.5  # one token every half second
    assert buckets.take("u", 0.5) == 0.0
    assert buckets.take("other", 0.5) == 0.0  # callers do not share a bucket


async def test_a_caller_over_the_limit_gets_429_with_retry_after_and_others_do_not():
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(RateLimitMiddleware, per_minute=60, burst=2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        flood = {"Authorization": "Bearer " + _unsigned({"sub": "script", "tenant": "t1"})}
        codes = [(await client.get("/ping", headers=flood)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = await client.get("/ping", headers=flood)
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        calm = {"Authorization": "Bearer " + _unsigned({"sub": "north-rep", "tenant": "t1"})}
        assert (await client.get("/ping", headers=calm)).status_code == 200


def _unsigned(claims: dict[str, str]) -> str:
    import jwt

    return jwt.encode(claims, "k" * 32, algorithm="HS256")
