"""Every event the reports need -> patches on the pending batch of the consumer's transaction.

The handlers validate the payload and compute the patches (pure, `domain.projections`);
nothing is written until the transaction commits (`adapters.batch`).
"""

from __future__ import annotations

from crm_contracts import CloudEvent
from pydantic import BaseModel
from servicekit.consumer import EventHandlers, Handler
from sqlalchemy.ext.asyncio import AsyncSession

from crm_reporting.adapters.batch import pending
from crm_reporting.domain.projections import PROJECTIONS, Projection


def _handler(payload_type: type[BaseModel], projection: Projection) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        payload = payload_type.model_validate(event.data)
        pending(session).add(projection(event, payload))

    handle.__name__ = f"project_{payload_type.__name__}"
    return handle


def event_handlers() -> EventHandlers:
    handlers = EventHandlers()
    for payload_type, projection in PROJECTIONS.items():
        handlers.on(payload_type)(_handler(payload_type, projection))
    return handlers
