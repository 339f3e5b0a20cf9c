"""Every event of every service comes in here, through servicekit's idempotent consumer:
the feed and the webhooks need all of them; the rule book picks what concerns people."""

from __future__ import annotations

from crm_contracts import CloudEvent, all_specs
from servicekit.consumer import EventHandlers
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.bootstrap import Services
from crm_notifications.service_layer.events import apply_event


def build_handlers(services: Services) -> EventHandlers:
    handlers = EventHandlers()

    async def on_event(session: AsyncSession, event: CloudEvent) -> None:
        await apply_event(session, services, event)

    for spec in all_specs():
        handlers.on(spec.payload)(on_event)
    return handlers
