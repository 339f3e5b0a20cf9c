"""The customers service application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import SALES_EVENTS, SERVICE_DESK_EVENTS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.errors import Conflict, InvalidInput
from servicekit.runtime import ServiceDefinition

from crm_customers.config import CustomersSettings
from crm_customers.domain.model import ConflictError, DomainError
from crm_customers.entrypoints.api import (
    customers,
    exports,
    imports,
    interactions,
    pool,
    segments,
    settings,
)
from crm_customers.entrypoints.consumer import handlers
from crm_customers.service_layer.jobs import POOL_RULE, VALUE_TIERS

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="customers",
        title="CRM customers service",
        version="0.1.0",
        description=(
            "The customer base: accounts, contacts, interactions, the customer pool with one "
            "owner per customer, the company's data policy, segments, duplicates and merge."
        ),
        migrations=MIGRATIONS,
        routers=[
            exports.router,  # before customers: /customers/{id} would take /customers/export.csv
            customers.router,
            pool.router,
            interactions.router,
            segments.router,
            settings.router,
            imports.router,
        ],
        upload_paths=["/imports"],
        handlers=handlers,
        subscribes=[SALES_EVENTS, SERVICE_DESK_EVENTS],
        jobs=[POOL_RULE, VALUE_TIERS],
        domain_errors={DomainError: InvalidInput, ConflictError: Conflict},
    )


def create_app(settings: CustomersSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or CustomersSettings())
