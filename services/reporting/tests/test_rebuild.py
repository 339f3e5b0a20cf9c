"""Rebuilding the read models from the topics gives the same reports, also while events
keep arriving; progress can be followed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from crm_reporting.adapters.orm import metadata
from crm_reporting.app import MIGRATIONS, create_app
from crm_reporting.config import ReportingSettings
from fastapi import FastAPI
from servicekit.testing import running_service
from servicekit.testing.schema_drift import schema_drift
from sqlalchemy import text

STALLED_S = 30.0

REPORTS = [
    ("/reports/customers/summary", {}),
    ("/reports/customers/growth", {"group_by": "branch,owner,month"}),
    ("/reports/customers/churn-reasons", {}),
    ("/reports/funnel", {}),
    ("/reports/pipeline", {"group_by": "branch,owner,month,stage"}),
    ("/reports/win-rate", {"group_by": "branch,owner,month"}),
    ("/reports/sales", {"group_by": "branch,owner,month"}),
    ("/reports/sales/products", {"group_by": "branch,owner,month"}),
    ("/reports/value-pyramid", {}),
    ("/reports/profitability", {"limit": 200}),
    ("/reports/rep-activity", {}),
    ("/reports/service", {"group_by": "branch,owner,month,priority"}),
    ("/reports/campaigns", {}),
    ("/reports/quotes", {"group_by": "branch,owner,month"}),
    ("/reports/contracts", {"group_by": "branch,owner,month"}),
]


@dataclass
class Second:
    """A reporting service of its own, on a broker of its own: its rebuilds replay only what
    these tests publish there (not every event of the test session) and leave the shared
    service alone."""

    app: FastAPI
    client: httpx.AsyncClient
    url: str
    broker: Any


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def second(infra, own_broker) -> AsyncIterator[Second]:
    async with own_broker() as broker:
        url = await infra.migrated_database("reporting", MIGRATIONS)
        settings = infra.settings(
            ReportingSettings,
            database_url=url,
            kafka_bootstrap=broker.bootstrap,
            consumer_max_attempts=2,
            consumer_retry_backoff_s=0.05,
            replay_batch_size=500,
        )
        async with running_service(create_app, settings) as (app, client):
            yield Second(app, client, url, broker)


async def every_report(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    found = {}
    for path, params in REPORTS:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        found[path] = response.json()
    return found


async def follow(client: httpx.AsyncClient, location: str, headers: dict[str, str]) -> Any:
    """The rebuild's progress until it ends; fails once it has not moved for a while."""
    loop = asyncio.get_running_loop()
    last, since = None, loop.time()
    while True:
        progress = (await client.get(location, headers=headers)).json()
        if progress["status"] != "running":
            return progress
        moved = (progress["phase"], progress["consumed"])
        if moved != last:
            last, since = moved, loop.time()
        assert loop.time() - since < STALLED_S, progress
        await asyncio.sleep(0.1)


async def rebuild(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    started = await client.post("/rebuilds", headers=headers)
    assert started.status_code == 202, started.text
    progress = await follow(client, started.headers["location"], headers)
    assert progress["status"] == "done", progress
    return progress


async def test_a_rebuild_gives_the_same_reports(second, scenario, feed, tokens):
    client, url = second.client, second.url
    history = scenario(f"t-{uuid.uuid4().hex[:12]}", seed=23, customers=24)
    await feed(history.shuffled_with_duplicates(), second.app, second.broker)
    admin = tokens(history.tenant, "admin")
    before = await every_report(client, admin)

    progress = await rebuild(client, admin)

    assert await every_report(client, admin) == before
    assert progress["progress"] == 1.0
    assert progress["applied"] >= len({e.id for e in history.events})
    assert progress["consumed"] >= progress["total"] > 0
    assert await schema_drift(url, metadata) == []
    async with second.app.state.runtime.session_factory() as session:
        schemas = await session.scalars(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'reporting_%'")
        )
        assert list(schemas) == []


async def test_events_arriving_during_a_rebuild_are_in_the_rebuilt_reports(
    second, reporting, scenario, feed, tokens
):
    client = second.client
    history = scenario(f"t-{uuid.uuid4().hex[:12]}", seed=29, customers=24)
    events = history.shuffled_with_duplicates()
    half = len(events) // 2
    await feed(events[:half], second.app, second.broker)
    admin = tokens(history.tenant, "admin")

    started = await client.post("/rebuilds", headers=admin)
    assert started.status_code == 202
    busy = await client.post("/rebuilds", headers=admin)
    await feed(events[half:], second.app, second.broker)  # while it runs
    progress = await follow(client, started.headers["location"], admin)

    assert progress["status"] == "done", progress
    assert busy.status_code == 409
    # The shared service, given the same events, was never rebuilt: the reference.
    await feed(history.events)
    assert await every_report(client, admin) == await every_report(reporting, admin)


async def test_only_an_administrator_rebuilds(second, tokens):
    response = await second.client.post("/rebuilds", headers=tokens("t-x", "ceo"))
    assert response.status_code == 403


async def test_on_a_platform_of_several_companies_only_the_operators_admins_rebuild(infra, tokens):
    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(ReportingSettings, database_url=url, operator_tenant="t-ops")
    async with running_service(create_app, settings) as (_, client):
        company_admin = tokens(f"t-{uuid.uuid4().hex[:8]}", "admin")
        refused = await client.post("/rebuilds", headers=company_admin)
        peeking = await client.get(f"/rebuilds/{uuid.uuid4()}", headers=company_admin)
        operator = await client.get(f"/rebuilds/{uuid.uuid4()}", headers=tokens("t-ops", "admin"))
    assert (refused.status_code, peeking.status_code) == (403, 403)
    assert refused.headers["content-type"] == "application/problem+json"
    assert operator.status_code == 404  # let through: there is no such rebuild


async def test_an_event_the_rebuild_cannot_store_is_left_out_and_counted(
    second, scenario, feed, tokens
):
    client = second.client
    history = scenario(f"t-{uuid.uuid4().hex[:12]}", seed=31, customers=6)
    await feed(history.events, second.app, second.broker)
    # A branch id longer than the read models store: the live consumer dead-letters it,
    # the rebuild leaves it out (and only it).
    stranger = str(uuid.uuid4())
    created = next(e for e in history.events if e.type == "crm.customers.customer.created.v1")
    poison = created.model_copy(
        update={
            "id": uuid.uuid4(),
            "branchid": "b" * 100,
            "partitionkey": stranger,
            "data": {**created.data, "customer_id": stranger},
        }
    )
    await second.broker.producer.send_and_wait(
        "crm.customers.events", poison.to_json_bytes(), key=poison.partitionkey.encode()
    )
    admin = tokens(history.tenant, "admin")
    before = await every_report(client, admin)

    progress = await rebuild(client, admin)

    assert progress["skipped"] == 1  # the broker holds only this module's events
    assert await every_report(client, admin) == before
