"""The notifications service on the session's real database and broker, with a real SMTP
server (aiosmtpd) and a real HTTP receiver (webhooks, and the customers service's segment
members) on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from crm_contracts import CloudEvent, new_event, topic_for
from crm_notifications.app import MIGRATIONS, create_app
from crm_notifications.config import NotificationsSettings
from fastapi import FastAPI
from pydantic import BaseModel
from servicekit.embedded import free_port
from servicekit.keys import DEMO_USERS
from servicekit.testing import TestInfra, running_service
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# --- a real SMTP server ----------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the SMTP server accepted, and replies it is told to give first."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    # address -> SMTP replies to give before accepting mail for it, e.g. "451 4.3.0 later"
    refuse: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        with self.mailbox.lock:
            script = self.mailbox.refuse.get(address)
            if script:
                return script.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.mailbox.lock:
            self.mailbox.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp() -> Any:
    mailbox = Mailbox()
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port  # type: ignore[attr-defined]
    try:
        yield mailbox
    finally:
        controller.stop()


# --- a real HTTP receiver: webhook endpoints and the customers service's segments ------------


@dataclass
class Receiver:
    base_url: str = ""
    # endpoint name -> the requests it got (headers, body)
    got: dict[str, list[tuple[dict[str, str], bytes]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # endpoint name -> answers to give first: (status, headers); then 204
    script: dict[str, deque[tuple[int, dict[str, str]]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    # segment id -> customer ids
    segments: dict[str, list[str]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def hook(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"


def _receiver_app(receiver: Receiver) -> Starlette:
    async def hook(request: Request) -> Response:
        name = request.path_params["name"]
        receiver.got[name].append((dict(request.headers), await request.body()))
        script = receiver.script[name]
        status, headers = script.popleft() if script else (204, {})
        return Response(status_code=status, headers=headers)

    async def members(request: Request) -> Response:
        receiver.tokens.append(request.headers.get("authorization", ""))
        found = receiver.segments.get(request.path_params["segment_id"])
        if found is None:
            return JSONResponse({"detail": "no such segment"}, status_code=404)
        limit = int(request.query_params.get("limit", 50))
        offset = int(request.query_params.get("offset", 0))
        items = [{"id": c} for c in found[offset : offset + limit]]
        return JSONResponse({"items": items, "total": len(found), "limit": limit, "offset": offset})

    return Starlette(
        routes=[
            Route("/hooks/{name}", hook, methods=["POST"]),
            Route("/segments/{segment_id}/members", members, methods=["GET"]),
        ]
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    port = free_port()
    config = uvicorn.Config(
        _receiver_app(found), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    found.base_url = f"http://127.0.0.1:{port}"
    try:
        yield found
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


# --- the service -----------------------------------------------------------------------------


def service_settings(
    infra: TestInfra, url: str, smtp: Mailbox, receiver: Receiver, **overrides: Any
) -> NotificationsSettings:
    return infra.settings(
        NotificationsSettings,
        database_url=url,
        smtp_port=smtp.port,  # type: ignore[attr-defined]
        smtp_timeout_s=5,
        webhook_allowed_hosts=["127.0.0.1"],
        webhook_timeout_s=3,
        customers_url=receiver.base_url,
        public_url="http://crm.test",
        feed_stream_max_s=1.0,
        feed_stream_poll_s=0.1,
        campaign_mails_per_minute=60,
        **overrides,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def notifications_app(
    infra: TestInfra, smtp: Mailbox, receiver: Receiver
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await infra.migrated_database("notifications", MIGRATIONS)
    async with running_service(create_app, service_settings(infra, url, smtp, receiver)) as running:
        consumer = running[0].state.runtime.consumer
        await asyncio.wait_for(consumer.ready.wait(), 30)
        yield running


@pytest.fixture
def api(notifications_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return notifications_app[1]


@pytest.fixture
def app(notifications_app: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return notifications_app[0]


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user in this test's own tenant."""

    def headers(user: str = "admin", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}

    return headers


def _address(user: str, tenant: str) -> str:
    return f"{user}@{tenant}.test"


@pytest.fixture
def address(tenant: str) -> Callable[[str], str]:
    """The e-mail address of a user of this test's tenant in the directory."""
    return lambda user: _address(user, tenant)


@pytest.fixture
def make_settings(
    infra: TestInfra, smtp: Mailbox, receiver: Receiver
) -> Callable[..., NotificationsSettings]:
    """Settings of another instance of the service (e.g. on a database of its own)."""
    return lambda url, **overrides: service_settings(infra, url, smtp, receiver, **overrides)


@pytest.fixture
def directory(api: httpx.AsyncClient, auth: Callable[..., dict[str, str]], tenant: str):  # type: ignore[no-untyped-def]
    """Puts the demo users into this tenant's directory (addresses `<user>@<tenant>.test`)."""

    async def seed(*users: str) -> None:
        for name in users or tuple(DEMO_USERS):
            demo = DEMO_USERS[name]
            response = await api.put(
                f"/users/{name}",
                json={
                    "email": _address(name, tenant),
                    "name": name.replace("-", " ").title(),
                    "branch_id": demo.branch,
                    "roles": list(demo.roles),
                },
                headers=auth("admin"),
            )
            assert response.status_code == 200, response.text

    return seed


# --- events in, jobs run, waiting ---------------------------------------------------------------


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def producer(infra: TestInfra) -> AsyncIterator[AIOKafkaProducer]:
    started = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture
def publish(producer: AIOKafkaProducer, tenant: str):  # type: ignore[no-untyped-def]
    """Publish a payload as the service that owns it would (returns the CloudEvent)."""

    async def send(
        payload: BaseModel,
        *,
        branch: str | None = "north",
        key: str | None = None,
        subject: str | None = None,
        sequence: int = 1,
    ) -> CloudEvent:
        data = payload.model_dump(mode="json")
        partition_key = key or str(data.get("customer_id") or uuid.uuid4())
        event = new_event(
            payload,
            tenant=tenant,
            branch=branch,
            partition_key=partition_key,
            subject=subject or f"test/{uuid.uuid4()}",
            sequence=sequence,
        )
        await producer.send_and_wait(
            topic_for(event), event.to_json_bytes(), key=partition_key.encode()
        )
        return event

    return send


async def _eventually(
    check: Callable[[], Awaitable[Any]], *, within: float = 10.0, what: str = "condition"
) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value {value!r}")
        await asyncio.sleep(0.05)


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """Poll `check()` until it returns something truthy; that value is returned."""
    return _eventually


@pytest.fixture
def run_job(app: FastAPI):  # type: ignore[no-untyped-def]
    """Run one of the service's jobs at a time the test chooses."""

    async def run(name: str, now: datetime | None = None, *, on: FastAPI | None = None) -> int:
        runtime = (on or app).state.runtime
        job = next(j for j in runtime.definition.jobs if j.name == name)
        handled = await runtime.scheduler.run_once(job, now=now or datetime.now(UTC))
        assert handled is not None, f"{name} did not run (lock held)"
        return int(handled)

    return run


@pytest.fixture
def customer_known(app: FastAPI, tenant: str, eventually):  # type: ignore[no-untyped-def]
    """Wait until the service knows a customer (events of other topics may overtake it)."""
    from crm_notifications.adapters.orm import CustomerOwnerRow

    async def known(customer_id: uuid.UUID) -> None:
        async def check() -> bool:
            async with app.state.runtime.session_factory() as session:
                return await session.get(CustomerOwnerRow, (tenant, customer_id)) is not None

        await eventually(check, what=f"customer {customer_id} known")

    return known


@pytest.fixture
def inbox(api: httpx.AsyncClient, auth: Callable[..., dict[str, str]]):  # type: ignore[no-untyped-def]
    async def items(user: str) -> list[dict[str, Any]]:
        response = await api.get("/inbox", params={"limit": 200}, headers=auth(user))
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()["items"]
        return result

    return items
