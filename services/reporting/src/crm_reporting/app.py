"""The reporting service application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import ALL_TOPICS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.consumer import EventHandlers
from servicekit.runtime import ServiceDefinition

from crm_reporting.config import ReportingSettings
from crm_reporting.entrypoints.api.routes import router
from crm_reporting.projections import customers

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    handlers = EventHandlers()
    customers.register(handlers)
    return ServiceDefinition(
        name="reporting",
        title="CRM reporting service",
        version="0.1.0",
        description="Read models built from every event; the reports managers decide on.",
        migrations=MIGRATIONS,
        routers=[router],
        handlers=handlers,
        subscribes=ALL_TOPICS,
    )


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or ReportingSettings())
