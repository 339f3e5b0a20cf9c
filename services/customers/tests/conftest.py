"""The customers service running on the session's real database and broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from crm_customers.app import MIGRATIONS, create_app
from crm_customers.config import CustomersSettings
from fastapi import FastAPI
from servicekit.runtime import Runtime
from servicekit.testing import TestInfra, running_service


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def customers_app(infra: TestInfra) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await infra.migrated_database("customers", MIGRATIONS)
    settings = infra.settings(CustomersSettings, database_url=url)
    async with running_service(create_app, settings) as running:
        yield running


@pytest.fixture
def customers(customers_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return customers_app[1]


@pytest.fixture
def runtime(customers_app: tuple[FastAPI, httpx.AsyncClient]) -> Runtime:
    """The service's runtime: its scheduler runs jobs at a time the test chooses."""
    return customers_app[0].state.runtime


@pytest.fixture
def new_customer(customers, auth):
    """POST a customer as `user`; returns the created JSON (asserting 201)."""

    async def create(user: str = "north-rep", **fields: object) -> dict:
        response = await customers.post(
            "/customers", json={"name": "Acme Trading", **fields}, headers=auth(user)
        )
        assert response.status_code == 201, response.text
        return response.json()

    return create


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user in this test's own tenant."""

    def headers(user: str = "admin", **claims: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}

    return headers
