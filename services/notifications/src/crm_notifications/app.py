"""The notifications service application; its domain arrives with its own issue."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.runtime import ServiceDefinition

from crm_notifications.config import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="notifications",
        title="CRM notifications service",
        version="0.1.0",
        description="Reminders, e-mail, in-app inbox and signed webhooks for integrators.",
        migrations=MIGRATIONS,
    )


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(definition(), settings or NotificationsSettings())
