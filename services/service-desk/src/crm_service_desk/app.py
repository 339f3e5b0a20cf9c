"""The service-desk application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import CUSTOMERS_EVENTS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.errors import Conflict, InvalidInput
from servicekit.runtime import ServiceDefinition

from crm_service_desk.config import ServiceDeskSettings
from crm_service_desk.domain.errors import ConflictError, DomainError
from crm_service_desk.entrypoints.api import announcements, assets, portal, sla, tickets
from crm_service_desk.entrypoints.consumer import handlers
from crm_service_desk.service_layer.jobs import AUTO_CLOSE, SLA_SUPERVISOR

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="service-desk",
        title="CRM service-desk service",
        version="0.1.0",
        description=(
            "Service requests with SLAs in business hours, customer assets and warranty, "
            "satisfaction surveys, the customer portal and company announcements."
        ),
        migrations=MIGRATIONS,
        routers=[tickets.router, portal.router, assets.router, announcements.router, sla.router],
        handlers=handlers,
        subscribes=[CUSTOMERS_EVENTS],
        jobs=[SLA_SUPERVISOR, AUTO_CLOSE],
        domain_errors={DomainError: InvalidInput, ConflictError: Conflict},
    )


def create_app(settings: ServiceDeskSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or ServiceDeskSettings())
