"""What happens when an event arrives: all in the consumer's transaction, with its inbox row.

1. it is recorded in the tenant's feed; 2. it becomes a delivery for every webhook endpoint
that subscribed to its type; 3. the facts this service keeps are updated; 4. the rule book
decides who is told, at once or at a stored time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crm_contracts import CloudEvent
from pydantic import ValidationError
from servicekit.logging import get_logger
from servicekit.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.bootstrap import Services
from crm_notifications.service_layer import feed, reminders, webhooks
from crm_notifications.service_layer.notify import Trigger, apply_rule
from crm_notifications.service_layer.projections import PROJECTIONS

log = get_logger(__name__)


async def apply_event(session: AsyncSession, services: Services, event: CloudEvent) -> None:
    await feed.record(session, event)
    await webhooks.fan_out(session, event)
    projection = PROJECTIONS.get(event.type)
    if projection is not None:
        try:
            await projection(session, event)
        except ValidationError as exc:
            # A malformed payload must not hold up the feed and the webhooks of everything else.
            log.warning("event_not_projected", event_id=str(event.id), error=str(exc)[:500])
    uow = UnitOfWork.joining(session)
    async with uow:
        for rule in services.rules.scheduled_touching(event.type):
            await reminders.touch(session, rule, event)
        for rule in services.rules.for_type(event.type):
            if rule.schedule is not None:
                await reminders.schedule(session, rule, event)
                continue
            trigger = Trigger(
                event_id=event.id,
                event_type=event.type,
                subject=event.subject,
                time=event.time.isoformat(),
                tenant=event.tenantid,
                branch=event.branchid,
                data=event.data,
            )
            await apply_rule(
                uow, services, rule, trigger, dedupe=f"{rule.key}:{event.id}", now=datetime.now(UTC)
            )
        await uow.commit()
