"""The service-desk service application; its domain arrives with its own issue."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.runtime import ServiceDefinition

from crm_service_desk.config import ServiceDeskSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="service-desk",
        title="CRM service-desk service",
        version="0.1.0",
        description="Tickets with SLAs, assets, satisfaction surveys and the customer portal.",
        migrations=MIGRATIONS,
    )


def create_app(settings: ServiceDeskSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or ServiceDeskSettings())
