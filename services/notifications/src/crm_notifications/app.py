"""The notifications service application (composition root)."""

from __future__ import annotations

from pathlib import Path

from crm_contracts import ALL_TOPICS
from fastapi import FastAPI
from servicekit.app import create_service_app
from servicekit.errors import Conflict, InvalidInput, NotFound, Problem
from servicekit.runtime import ServiceDefinition

from crm_notifications.bootstrap import Services, bootstrap
from crm_notifications.config import NotificationsSettings
from crm_notifications.domain.model import ConflictError, DomainError, NotFoundError
from crm_notifications.entrypoints.api import (
    campaigns,
    directory,
    feed,
    inbox,
    rules,
    unsubscribe,
    webhooks,
)
from crm_notifications.entrypoints.consumer import build_handlers
from crm_notifications.service_layer.feed import CursorExpired
from crm_notifications.service_layer.jobs import build_jobs

MIGRATIONS = Path(__file__).parent / "migrations"


class Gone(Problem):
    status, title = 410, "Gone"


def definition(services: Services | None = None) -> ServiceDefinition:
    """Without `services`, for tools that only read the definition (topics, routes): the
    default clients are built, none is connected."""
    services = services or bootstrap(NotificationsSettings.model_construct())
    return ServiceDefinition(
        name="notifications",
        title="CRM notifications service",
        version="0.1.0",
        description=(
            "Who hears what, when and how: rules from events to people, reminders that survive "
            "restarts, e-mail, an in-app inbox, signed webhooks with retries and replay, an "
            "event feed (pages and Server-Sent Events), and campaign mail with unsubscribe."
        ),
        migrations=MIGRATIONS,
        routers=[
            inbox.router,
            directory.router,
            rules.router,
            webhooks.router,
            feed.router,
            campaigns.router,
            unsubscribe.router,
        ],
        handlers=build_handlers(services),
        subscribes=ALL_TOPICS,
        jobs=build_jobs(services),
        domain_errors={
            DomainError: InvalidInput,
            NotFoundError: NotFound,
            ConflictError: Conflict,
            CursorExpired: Gone,
        },
    )


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    services = bootstrap(settings)
    app = create_service_app(definition(services), settings)
    app.state.services = services
    return app
