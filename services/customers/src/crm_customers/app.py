"""The customers service application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import SALES_EVENTS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.errors import InvalidInput
from servicekit.runtime import ServiceDefinition

from crm_customers.config import CustomersSettings
from crm_customers.domain.model import DomainError
from crm_customers.entrypoints.api.routes import router
from crm_customers.entrypoints.consumer import handlers

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="customers",
        title="CRM customers service",
        version="0.1.0",
        description="Accounts, contacts, interactions, the customer pool and ownership.",
        migrations=MIGRATIONS,
        routers=[router],
        handlers=handlers,
        subscribes=[SALES_EVENTS],
        domain_errors={DomainError: InvalidInput},
    )


def create_app(settings: CustomersSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or CustomersSettings())
