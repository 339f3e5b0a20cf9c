"""The sales service application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import CUSTOMERS_EVENTS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.errors import Conflict, Forbidden, InvalidInput
from servicekit.runtime import ServiceDefinition

from crm_sales.config import SalesSettings
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.entrypoints.api.routes import (
    campaigns,
    catalog,
    documents,
    expenses,
    opportunities,
    subscriptions,
    tasks,
)
from crm_sales.entrypoints.consumer import handlers
from crm_sales.service_layer.jobs import JOBS

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="sales",
        title="CRM sales service",
        version="0.1.0",
        description=(
            "Products, opportunities, quotes and orders, contracts and subscriptions, tasks and"
            " calendar, expenses, campaigns."
        ),
        migrations=MIGRATIONS,
        routers=[
            catalog.configuration_router,
            catalog.products_router,
            opportunities.router,
            documents.quotes_router,
            documents.orders_router,
            subscriptions.router,
            tasks.router,
            tasks.calendar_router,
            expenses.router,
            campaigns.router,
        ],
        handlers=handlers,
        subscribes=[CUSTOMERS_EVENTS],
        jobs=JOBS,
        domain_errors={
            NotPermitted: Forbidden,
            StateConflict: Conflict,
            DomainError: InvalidInput,
        },
    )


def create_app(settings: SalesSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or SalesSettings())
