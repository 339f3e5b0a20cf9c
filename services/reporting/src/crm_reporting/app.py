"""The reporting service application (composition root)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from crm_contracts import ALL_TOPICS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.runtime import ServiceDefinition

from crm_reporting.adapters import batch
from crm_reporting.config import ReportingSettings
from crm_reporting.entrypoints.api import admin, routes
from crm_reporting.entrypoints.consumer import event_handlers
from crm_reporting.service_layer.forecast import snapshot_job
from crm_reporting.service_layer.rebuild import Rebuilds

MIGRATIONS = Path(__file__).parent / "migrations"


def definition(settings: ReportingSettings | None = None) -> ServiceDefinition:
    """Without `settings`, for tools that only read the definition (topics, routes)."""
    settings = settings or ReportingSettings.model_construct()
    return ServiceDefinition(
        name="reporting",
        title="CRM reporting service",
        version="0.1.0",
        description=(
            "Read models built from every event of every service, and the reports managers "
            "decide on: funnel, pipeline and weighted forecast, win rate and sales cycle, "
            "sales, customer growth and churn, value pyramid, profitability, rep activity, "
            "service KPIs, campaigns; forecast snapshots; rebuild from the topics."
        ),
        migrations=MIGRATIONS,
        routers=[routes.router, admin.router],
        handlers=event_handlers(),
        subscribes=ALL_TOPICS,
        jobs=[snapshot_job(settings.snapshot_interval_s)],
    )


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    batch.install()
    app = create_service_app(definition(settings), settings)
    app.state.rebuilds = Rebuilds()
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            try:
                yield
            finally:  # a rebuild in progress stops (and says so) before the runtime does
                await app.state.rebuilds.close()

    app.router.lifespan_context = lifespan
    return app
