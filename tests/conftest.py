"""Cross-service tests: the services run side by side on the session's real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from crm_customers.app import MIGRATIONS as CUSTOMERS_MIGRATIONS
from crm_customers.app import create_app as create_customers
from crm_customers.config import CustomersSettings
from crm_reporting.app import MIGRATIONS as REPORTING_MIGRATIONS
from crm_reporting.app import create_app as create_reporting
from crm_reporting.config import ReportingSettings
from servicekit.testing import TestInfra, running_service


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(infra: TestInfra) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    customers_db = await infra.migrated_database("customers", CUSTOMERS_MIGRATIONS)
    reporting_db = await infra.migrated_database("reporting", REPORTING_MIGRATIONS)
    async with (
        running_service(
            create_customers, infra.settings(CustomersSettings, database_url=customers_db)
        ) as (_, customers),
        running_service(
            create_reporting, infra.settings(ReportingSettings, database_url=reporting_db)
        ) as (reporting_app, reporting),
    ):
        consumer = reporting_app.state.runtime.consumer
        assert consumer is not None
        await consumer.ready.wait()
        yield {"customers": customers, "reporting": reporting}
