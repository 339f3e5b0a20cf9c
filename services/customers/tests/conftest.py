"""The customers service running on the session's real database and broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from crm_customers.app import MIGRATIONS, create_app
from crm_customers.config import CustomersSettings
from servicekit.testing import TestInfra, running_service


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def customers(infra: TestInfra) -> AsyncIterator[httpx.AsyncClient]:
    url = await infra.migrated_database("customers", MIGRATIONS)
    settings = infra.settings(CustomersSettings, database_url=url)
    async with running_service(create_app, settings) as (_, client):
        yield client


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    """Headers of a demo user in this test's own tenant."""

    def headers(user: str = "admin", **claims: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}

    return headers
