"""Webhook URLs cannot point the notifications service at the platform's own network (OWASP
API7, SSRF) unless an operator allowed the host."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from crm_notifications.app import MIGRATIONS, create_app
from crm_notifications.config import NotificationsSettings
from servicekit.testing import running_service

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f000001/hook",
    "http://localhost:8101/customers",
    "http://LOCALHOST./hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://user:password@93.184.216.34/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://93.184.216.34/hook",
    "http:///hook",
]
PUBLIC = "https://93.184.216.34/hooks/crm"


def own_addresses(stack: Any) -> list[str]:
    """Where the platform's own services listen (here: loopback ports)."""
    return [f"{service.url}/customers" for service in stack.services.values()]


async def test_internal_and_non_http_urls_are_refused_on_create_and_on_change(
    stack: Any, bearer: Any
) -> None:
    notifications = stack.client("notifications")
    integrator = bearer("integrator")
    accepted = []
    for url in INTERNAL + own_addresses(stack):
        response = await notifications.post(
            "/webhooks/endpoints", json={"url": url, "event_types": ["crm.*"]}, headers=integrator
        )
        if response.status_code != 422:
            accepted.append(f"{url}: {response.status_code}")
    assert accepted == []

    created = await notifications.post(
        "/webhooks/endpoints", json={"url": PUBLIC, "event_types": ["crm.*"]}, headers=integrator
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    for url in ("http://127.0.0.1:8104/feed", "http://169.254.169.254/", own_addresses(stack)[0]):
        changed = await notifications.patch(
            f"/webhooks/endpoints/{endpoint['id']}",
            json={"url": url},
            headers=integrator | {"If-Match": "*"},
        )
        assert changed.status_code == 422, (url, changed.status_code, changed.text)
    kept = await notifications.get(f"/webhooks/endpoints/{endpoint['id']}", headers=integrator)
    assert kept.json()["url"] == PUBLIC


@pytest_asyncio.fixture
async def allowing_loopback(infra: Any) -> AsyncIterator[Any]:
    url = await infra.migrated_database("notifications", MIGRATIONS)
    settings = infra.settings(
        NotificationsSettings, database_url=url, webhook_allowed_hosts=["127.0.0.1"]
    )
    async with running_service(create_app, settings) as (_, client):
        yield client


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://127.0.0.1:8101/x"])
async def test_a_host_the_operator_allowed_may_be_internal(
    allowing_loopback: Any, bearer: Any, url: str
) -> None:
    created = await allowing_loopback.post(
        "/webhooks/endpoints", json={"url": url, "event_types": ["crm.*"]}, headers=bearer()
    )
    assert created.status_code == 201, created.text
    other = await allowing_loopback.post(
        "/webhooks/endpoints",
        json={"url": "http://localhost:9/hook", "event_types": ["crm.*"]},
        headers=bearer(),
    )
    assert other.status_code == 422, "only the named host is allowed, not its aliases"


# -- at delivery time ---------------------------------------------------------------------------


@pytest_asyncio.fixture
async def loopback_receiver(loopback: Any) -> AsyncIterator[tuple[str, list[bytes]]]:
    """An HTTP receiver on 127.0.0.1 (what an attacker would aim at): the bodies it got."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    got: list[bytes] = []

    async def hook(request: Request) -> Response:
        got.append(await request.body())
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with loopback(app) as url:
        yield url, got


@pytest_asyncio.fixture
async def own_notifications(infra: Any) -> AsyncIterator[tuple[Any, Any, str]]:
    """A notifications service of its own (no other test's deliveries queue before ours),
    no host allowed; its consumer reads the shared topics from now on."""
    url = await infra.migrated_database("notifications", MIGRATIONS)
    settings = infra.settings(NotificationsSettings, database_url=url)
    async with running_service(create_app, settings) as (app, client):
        await asyncio.wait_for(app.state.runtime.consumer.ready.wait(), 30)
        yield app, client, url


async def test_a_url_that_leads_inside_by_delivery_time_is_not_called(
    stack: Any,
    bearer: Any,
    loopback_receiver: tuple[str, list[bytes]],
    own_notifications: tuple[Any, Any, str],
) -> None:
    """A host name checked when saved may point inside later (DNS rebinding, a changed
    record): every attempt resolves and checks again, and refuses without connecting."""
    import asyncpg
    from crm_notifications.service_layer.jobs import WEBHOOKS

    url, got = loopback_receiver
    inside = url.replace("127.0.0.1", "localhost") + "/hook"
    app, client, database_url = own_notifications
    integrator = bearer("integrator")
    created = await client.post(
        "/webhooks/endpoints",
        json={"url": PUBLIC, "event_types": ["crm.customers.*"]},
        headers=integrator,
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()["id"]
    # What the name resolves to now: inside. (The API refuses such a URL; the row is what a
    # name saved while public becomes.)
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "UPDATE webhook_endpoints SET url = $1 WHERE id = $2::uuid", inside, endpoint
        )
    finally:
        await conn.close()

    customer = await stack.client("customers").post(
        "/customers", json={"name": "Rebound Ltd", "branch_id": "north"}, headers=bearer()
    )
    assert customer.status_code == 201, customer.text
    deliveries: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + 20
    while not deliveries:
        assert asyncio.get_running_loop().time() < deadline, "the event made no delivery"
        await asyncio.sleep(0.1)
        page = await client.get(f"/webhooks/endpoints/{endpoint}/deliveries", headers=integrator)
        deliveries = page.json()["items"]
    runtime = app.state.runtime
    job = next(j for j in runtime.definition.jobs if j.name == WEBHOOKS)
    attempts: list[dict[str, Any]] = []
    for _ in range(5):  # one run attempts it; a few in case the job's lock was held
        await runtime.scheduler.run_once(job, now=datetime.now(UTC))
        detail = await client.get(f"/webhooks/deliveries/{deliveries[0]['id']}", headers=integrator)
        assert detail.status_code == 200, detail.text
        attempts = detail.json()["log"]
        if attempts:
            break
    assert attempts, "the delivery was not attempted"
    assert all("refused by SSRF protection" in (a["error"] or "") for a in attempts), attempts
    assert got == [], "the internal receiver was called"
