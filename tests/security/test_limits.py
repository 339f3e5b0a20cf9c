"""Resource limits (OWASP API4): a body cap that refuses before reading, a hard page-size cap on
every list, and a per-user rate limit answering 429 with Retry-After."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from crm_customers.app import MIGRATIONS, create_app
from crm_customers.config import CustomersSettings
from servicekit.paging import MAX_LIMIT
from servicekit.testing import running_service

FIFTY_MB = 50 * 1024 * 1024
# Lists whose schema allows more than 500 because the route clamps to a setting.
CLAMPED = {("notifications", "/feed"): "min(limit, feed_page_max), default 500, at most 5000"}


async def http_exchange(
    url: str, head: str, chunks: AsyncIterator[bytes], *, timeout_s: float = 10
) -> tuple[str, int]:
    """Send a request by hand on loopback, its body from `chunks`, and stop sending as soon
    as the server answers. (status line, body bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    sent = 0
    try:
        writer.write(head.encode())
        answer = asyncio.create_task(reader.readline())
        async for chunk in chunks:
            if answer.done():
                break
            try:
                writer.write(chunk)
                await writer.drain()
            except ConnectionError:
                break
            sent += len(chunk)
        status = await asyncio.wait_for(answer, timeout_s)
        return status.decode().strip(), sent
    finally:
        writer.close()


async def zeros(
    total: int, size: int = 64 * 1024, *, chunked: bool = False
) -> AsyncIterator[bytes]:
    left = total
    while left > 0:
        piece = b"0" * min(size, left)
        left -= len(piece)
        yield (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
        await asyncio.sleep(0)
    if chunked:
        yield b"0\r\n\r\n"


def request_head(path: str, token: str, extra: str) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    )


@pytest.mark.parametrize("service", ["customers", "sales", "service-desk", "notifications"])
async def test_a_50_mb_body_is_refused_before_it_is_read(
    stack: Any, infra: Any, tenant: str, service: str
) -> None:
    token = infra.token("admin", tenant=tenant)
    path = {
        "customers": "/customers",
        "sales": "/opportunities",
        "service-desk": "/tickets",
        "notifications": "/webhooks/endpoints",
    }[service]
    status, sent = await http_exchange(
        stack[service].url,
        request_head(path, token, f"Content-Length: {FIFTY_MB}\r\n"),
        zeros(FIFTY_MB),
    )
    assert status.split()[1] == "413", status
    # Refused on the declared length: the answer came while the client was still sending
    # (socket buffers hold a few MB), not after 50 MB were read.
    assert sent < 8 * 1024 * 1024, f"the server read {sent} bytes before refusing"


async def test_a_chunked_body_over_the_cap_is_cut_off_at_the_cap(
    stack: Any, infra: Any, tenant: str
) -> None:
    token = infra.token("admin", tenant=tenant)
    status, sent = await http_exchange(
        stack["customers"].url,
        request_head("/customers", token, "Transfer-Encoding: chunked\r\n"),
        zeros(FIFTY_MB, chunked=True),
    )
    assert status.split()[1] == "413", status
    limit = stack["customers"].app.state.runtime.settings.max_body_bytes
    assert sent < limit + 8 * 1024 * 1024, f"sent {sent} bytes before the refusal"
    nothing = await stack.client("customers").get(
        "/customers", headers=stack.headers("admin", tenant=tenant)
    )
    assert nothing.json()["total"] == 0, "a refused body must not create anything"


def list_operations(stack: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(service, path, operation) of every GET with a `limit` query parameter."""
    found = []
    for name, service in stack.services.items():
        for path, operations in service.app.openapi()["paths"].items():
            operation = operations.get("get")
            if operation and any(
                p["name"] == "limit" and p["in"] == "query" for p in operation.get("parameters", [])
            ):
                found.append((name, path, operation))
    return found


def fill_path(path: str) -> str:
    """Path parameters of the right shape (the cap must bite before any lookup)."""
    for part in path.split("/"):
        if part.startswith("{"):
            value = "north" if "branch" in part else str(uuid.uuid4())
            path = path.replace(part, value)
    return path


async def test_every_list_caps_its_page_size_and_refuses_a_million_cheaply(
    stack: Any, tenant: str
) -> None:
    operations = list_operations(stack)
    assert len(operations) >= 20, "the lists were not found in the OpenAPI documents"
    admin = stack.headers("admin", tenant=tenant)
    contact = stack.headers("contact", tenant=tenant, roles=["portal"], customer=str(uuid.uuid4()))
    uncapped, accepted = [], []
    for service, path, operation in operations:
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        maximum = limit["schema"].get("maximum")
        if maximum is None or (maximum > 500 and (service, path) not in CLAMPED):
            uncapped.append(f"{service} {path}: maximum {maximum}")
        # Refused by validation, before the route runs: no query is made for it.
        response = await stack.client(service).get(
            fill_path(path),
            params={"limit": 10**6},
            headers=contact if path.startswith("/portal") else admin,
        )
        if response.status_code != 422:
            accepted.append(f"{service} {path}: {response.status_code}")
    assert uncapped == []
    assert accepted == []
    assert MAX_LIMIT <= 500


@pytest_asyncio.fixture
async def limited_customers(infra: Any) -> AsyncIterator[Any]:
    url = await infra.migrated_database("customers", MIGRATIONS)
    settings = infra.settings(
        CustomersSettings, database_url=url, rate_limit_per_minute=60, rate_limit_burst=5
    )
    async with running_service(create_app, settings) as (_, client):
        yield client


async def test_a_user_over_the_rate_limit_gets_429_with_retry_after_and_others_do_not(
    limited_customers: Any, infra: Any, tenant: str
) -> None:
    rep = {"Authorization": f"Bearer {infra.token('north-rep', tenant=tenant)}"}
    other = {"Authorization": f"Bearer {infra.token('north-rep2', tenant=tenant)}"}
    codes = [(await limited_customers.get("/customers", headers=rep)).status_code for _ in range(5)]
    assert codes == [200] * 5  # the burst
    refused = await limited_customers.get("/customers", headers=rep)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    writes = await limited_customers.post("/customers", json={"name": "X"}, headers=rep)
    assert writes.status_code == 429, "writes count against the same bucket"
    assert (await limited_customers.get("/customers", headers=other)).status_code == 200
    assert (await limited_customers.get("/livez")).status_code == 200  # probes are exempt
    await asyncio.sleep(retry_after)
    assert (await limited_customers.get("/customers", headers=rep)).status_code == 200
