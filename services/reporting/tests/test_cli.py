"""`crm reporting rebuild` against the service over real HTTP: it starts the rebuild with the
admin's token, follows the progress and says how it ended."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
import uvicorn
from crm_contracts import topic_for
from crm_local.reporting import RebuildFailed, rebuild
from crm_reporting.app import MIGRATIONS, create_app
from crm_reporting.config import ReportingSettings
from rich.console import Console
from servicekit.embedded import free_port


async def test_the_cli_rebuilds_and_reports_how_many_events_it_applied(
    infra, own_broker, scenario, tenant
):
    async with own_broker() as broker:  # a rebuild replays whole topics: only these events
        await rebuilt_through_the_cli(infra, broker, scenario(tenant, seed=3, customers=3))


async def rebuilt_through_the_cli(infra: Any, broker: Any, history: Any) -> None:
    sent = [
        await broker.producer.send(topic_for(e), e.to_json_bytes(), key=e.partitionkey.encode())
        for e in history.events
    ]
    await asyncio.gather(*sent)
    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(
        ReportingSettings, database_url=url, kafka_bootstrap=broker.bootstrap, run_consumer=False
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(600):  # up to 30 s
            if server.started:
                break
            await asyncio.sleep(0.05)
        console = Console(file=io.StringIO(), width=100)
        base = f"http://127.0.0.1:{port}"

        outcome = await asyncio.to_thread(
            rebuild, base, infra.token("admin"), console, poll_s=0.1, timeout_s=60
        )

        assert outcome.consumed == outcome.applied == len(history.events)
        with pytest.raises(RebuildFailed, match="403"):
            await asyncio.to_thread(rebuild, base, infra.token("ceo"), console, poll_s=0.1)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)
