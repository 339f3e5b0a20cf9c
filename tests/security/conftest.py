"""The five services in-process on the session's real PostgreSQL and broker, each also served
on a loopback port (uvicorn) for the tests that need real HTTP: body caps, fuzzing."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from servicekit.settings import ServiceSettings
from servicekit.testing import TestInfra, running_service

SERVICES = {
    "customers": "crm_customers",
    "sales": "crm_sales",
    "service-desk": "crm_service_desk",
    "notifications": "crm_notifications",
    "reporting": "crm_reporting",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long variants (more fuzzing examples) run only with `-m slow` (`make soak`)."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="long variant: run by `make soak` (pytest -m slow)")
    for item in items:
        if item.get_closest_marker("slow") and here in Path(str(item.path)).parents:
            item.add_marker(skip)


def settings_class(module: str) -> type[ServiceSettings]:
    config = importlib.import_module(f"{module}.config")
    return next(
        v
        for v in vars(config).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    )


@dataclass
class Service:
    name: str
    app: FastAPI
    client: httpx.AsyncClient  # in-process (ASGI)
    url: str = ""  # on loopback, once served
    database_url: str = ""


@dataclass
class Stack:
    infra: TestInfra
    services: dict[str, Service] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def client(self, name: str) -> httpx.AsyncClient:
        return self.services[name].client

    def headers(self, user: str = "admin", *, tenant: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.infra.token(user, tenant=tenant, **claims)}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def on_loopback(app: Any) -> AsyncIterator[str]:
    """Serve an app whose lifespan already runs on 127.0.0.1 (uvicorn, this event loop)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# The tenant of the platform operator (reporting rebuilds): no company the tests make.
OPERATOR_TENANT = "t-platform-operator"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(infra: TestInfra) -> AsyncIterator[Stack]:
    """All five services, consumers running (manual assignment, from the end of topics),
    each also on a loopback port; notifications calls the customers API there."""
    started: dict[str, Service] = {}
    async with contextlib.AsyncExitStack() as exits:
        for name, module in SERVICES.items():
            app_module = importlib.import_module(f"{module}.app")
            url = await infra.migrated_database(name, app_module.MIGRATIONS)
            extra: dict[str, Any] = {}
            if name == "reporting":  # a platform of several companies, run by an operator
                extra = {"operator_tenant": OPERATOR_TENANT}
            if name == "notifications":
                extra = {
                    "customers_url": started["customers"].url,
                    "public_url": "http://127.0.0.1:9",
                }
            settings = infra.settings(settings_class(module), database_url=url, **extra)
            app, client = await exits.enter_async_context(
                running_service(app_module.create_app, settings)
            )
            service = Service(name, app, client, database_url=url)
            service.url = await exits.enter_async_context(on_loopback(app))
            started[name] = service
        yield Stack(infra, started)


@pytest.fixture(scope="session")
def operator_tenant() -> str:
    return OPERATOR_TENANT


@pytest.fixture
def loopback() -> Callable[[Any], contextlib.AbstractAsyncContextManager[str]]:
    """`async with loopback(app) as url`: an ASGI app served on 127.0.0.1 for the test."""
    return on_loopback


@pytest.fixture
def bearer(stack: Stack, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user in this test's own tenant."""

    def headers(user: str = "admin", **claims: Any) -> dict[str, str]:
        return stack.headers(user, tenant=tenant, **claims)

    return headers
