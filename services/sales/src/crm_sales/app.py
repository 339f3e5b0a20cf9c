"""The sales service application; its domain arrives with its own issue."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.runtime import ServiceDefinition

from crm_sales.config import SalesSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="sales",
        title="CRM sales service",
        version="0.1.0",
        description=(
            "Products, opportunities, quotes, contracts and subscriptions, tasks, expenses,"
            " campaigns."
        ),
        migrations=MIGRATIONS,
    )


def create_app(settings: SalesSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or SalesSettings())
