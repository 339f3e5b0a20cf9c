"""Webhooks for integrators: endpoints, fan-out, signed deliveries with retries, replay.

Fan-out happens in the consumer's transaction: every event that matches an enabled endpoint
of its tenant becomes a delivery row, once. A job delivers due rows: it leases them (short
transaction), sends outside any transaction, then records the outcome (short transaction).
A crash mid-send lets the lease run out and the row is sent again: delivery is at least
once, and receivers drop repeats by `webhook-id` (the event id, the same on every attempt).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_contracts import CloudEvent
from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.uow import UnitOfWork
from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_notifications.adapters import event_mapping
from crm_notifications.adapters.orm import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from crm_notifications.adapters.webhook_http import HttpOutcome, WebhookClient, check_url
from crm_notifications.bootstrap import Services
from crm_notifications.domain import retry, signing
from crm_notifications.domain.model import ConflictError, DomainError, NotFoundError
from crm_notifications.domain.patterns import InvalidPattern, check_pattern, matches_any
from crm_notifications.domain.ssrf import UnsafeUrl

# Outcomes of deliveries are not delivered themselves: a `*` endpoint would feed on its own
# delivery events forever.
NOT_DELIVERED = ("crm.notifications.webhook.",)


# --- endpoints -----------------------------------------------------------------------------


async def _checked(services: Services, url: str, event_types: Sequence[str]) -> list[str]:
    try:
        await check_url(url, services.settings.webhook_allowed_hosts)
        return [check_pattern(p) for p in dict.fromkeys(event_types)]
    except (UnsafeUrl, InvalidPattern) as exc:
        raise DomainError(str(exc)) from exc


async def create_endpoint(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    now: datetime,
) -> WebhookEndpointRow:
    """Register an endpoint; its secret is generated here and shown to the caller."""
    patterns = await _checked(services, url, event_types)
    async with uow:
        endpoint = WebhookEndpointRow(
            id=uuid.uuid4(),
            tenant_id=principal.tenant,
            url=url,
            description=description,
            event_types=patterns,
            secret=signing.new_secret(),
            enabled=True,
            owner_id=principal.user_id,
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(endpoint)
        await uow.commit()
    return endpoint


async def _endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: UUID, *, lock: bool = False
) -> WebhookEndpointRow:
    query = select(WebhookEndpointRow).where(
        WebhookEndpointRow.id == endpoint_id, WebhookEndpointRow.tenant_id == principal.tenant
    )
    found = await session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFoundError(f"No webhook endpoint {endpoint_id}.")
    return found


async def change_endpoint(
    uow: UnitOfWork,
    services: Services,
    principal: Principal,
    endpoint_id: UUID,
    *,
    expected_version: int | None,
    changes: dict[str, Any],
    now: datetime,
) -> WebhookEndpointRow:
    """Change URL, event types, description, or enable / disable it."""
    async with uow:
        endpoint = await _endpoint(uow.session, principal, endpoint_id, lock=True)
        check_version(expected_version, endpoint.version)
        url = str(changes.get("url") or endpoint.url)
        types = changes.get("event_types") or endpoint.event_types
        endpoint.event_types = await _checked(services, url, types)
        endpoint.url = url
        if "description" in changes:
            endpoint.description = changes["description"]
        if changes.get("enabled") is True and not endpoint.enabled:
            endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, None
            endpoint.failing_since = None
        elif changes.get("enabled") is False and endpoint.enabled:
            endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, "manual"
        endpoint.version += 1
        endpoint.updated_at = now
        await uow.commit()
    return endpoint


async def delete_endpoint(
    uow: UnitOfWork, principal: Principal, endpoint_id: UUID, *, expected_version: int | None
) -> None:
    """Disable for good: the log stays readable, nothing more is delivered."""
    async with uow:
        endpoint = await _endpoint(uow.session, principal, endpoint_id, lock=True)
        check_version(expected_version, endpoint.version)
        endpoint.enabled, endpoint.disabled_reason = False, "deleted"
        endpoint.version += 1
        await _fail_pending(uow.session, endpoint.id, "the endpoint was deleted")
        await uow.commit()


async def _fail_pending(session: AsyncSession, endpoint_id: UUID, reason: str) -> None:
    await session.execute(
        update(WebhookDeliveryRow)
        .where(
            WebhookDeliveryRow.endpoint_id == endpoint_id, WebhookDeliveryRow.status == "pending"
        )
        .values(status="failed", next_attempt_at=None, last_error=reason)
    )


# --- fan-out (consumer transaction) -------------------------------------------------------------


async def fan_out(session: AsyncSession, event: CloudEvent) -> int:
    if event.type.startswith(NOT_DELIVERED):
        return 0
    endpoints = await session.scalars(
        select(WebhookEndpointRow).where(
            WebhookEndpointRow.tenant_id == event.tenantid, WebhookEndpointRow.enabled.is_(True)
        )
    )
    targets = [e for e in endpoints if matches_any(e.event_types, event.type)]
    if not targets:
        return 0
    body = event.to_json_bytes().decode()
    now = datetime.now(UTC)
    await session.execute(
        insert(WebhookDeliveryRow)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": event.tenantid,
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for endpoint in targets
            ]
        )
        .on_conflict_do_nothing()
    )
    return len(targets)


# --- delivery (job) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    delivery: WebhookDeliveryRow
    url: str
    secret: str


async def _claim(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> list[Claimed]:
    lease = timedelta(seconds=services.settings.webhook_timeout_s * 2 + 30)
    async with sessions() as session, session.begin():
        due = (
            select(WebhookDeliveryRow.id)
            .where(
                WebhookDeliveryRow.status == "pending",
                WebhookDeliveryRow.next_attempt_at <= now,
                (WebhookDeliveryRow.locked_until.is_(None))
                | (WebhookDeliveryRow.locked_until < now),
            )
            .order_by(WebhookDeliveryRow.next_attempt_at)
            .limit(services.settings.webhook_batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = (
            (
                await session.execute(
                    update(WebhookDeliveryRow)
                    .where(WebhookDeliveryRow.id.in_(due))
                    .values(locked_until=now + lease, attempts=WebhookDeliveryRow.attempts + 1)
                    .returning(WebhookDeliveryRow)
                    .execution_options(synchronize_session=False)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return []
        endpoints = {
            e.id: e
            for e in await session.scalars(
                select(WebhookEndpointRow).where(
                    WebhookEndpointRow.id.in_({r.endpoint_id for r in rows})
                )
            )
        }
        claimed = []
        for row in rows:
            endpoint = endpoints[row.endpoint_id]
            if not endpoint.enabled:
                row.status, row.next_attempt_at, row.locked_until = "failed", None, None
                row.last_error = "the endpoint is disabled"
                continue
            claimed.append(Claimed(row, endpoint.url, endpoint.secret))
        return claimed


async def _send(client: WebhookClient, item: Claimed) -> HttpOutcome:
    body = item.delivery.body.encode()
    # The signature's timestamp is the wall clock of the request (receivers check it against
    # theirs); scheduling uses the job's `now`, which tests move at will.
    headers = signing.headers(item.secret, str(item.delivery.event_id), int(time.time()), body)
    return await client.post(item.url, body, headers)


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """Attempt every delivery due by `now`; returns how many attempts were made."""
    claimed = await _claim(sessions, services, now)
    if not claimed:
        return 0
    client = services.webhook_client()
    gate = asyncio.Semaphore(services.settings.webhook_concurrency)

    async def send(item: Claimed) -> HttpOutcome:
        async with gate:
            return await _send(client, item)

    try:
        outcomes = await asyncio.gather(*(send(item) for item in claimed))
    finally:
        await client.close()
    async with UnitOfWork(sessions) as uow:
        for item, outcome in zip(claimed, outcomes, strict=True):
            await _record(uow, services, item.delivery.id, outcome, now)
        await uow.commit()
    return len(claimed)


async def _record(
    uow: UnitOfWork, services: Services, delivery_id: UUID, outcome: HttpOutcome, now: datetime
) -> None:
    session = uow.session
    delivery = await session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
    assert delivery is not None
    endpoint = await session.get(WebhookEndpointRow, delivery.endpoint_id, with_for_update=True)
    assert endpoint is not None
    session.add(
        WebhookAttemptRow(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
    )
    delivery.locked_until = None
    delivery.last_status_code = outcome.status_code
    if outcome.ok:
        assert outcome.status_code is not None
        delivery.status, delivery.finished_at, delivery.next_attempt_at = "succeeded", now, None
        delivery.last_error = None
        endpoint.failing_since = None
        uow.emit(
            event_mapping.webhook_delivered(delivery, outcome.status_code, outcome.duration_ms)
        )
        return
    error = outcome.error or "failed"
    delivery.last_error = error
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    limit = timedelta(days=services.settings.webhook_disable_after_days)
    disable = None
    if endpoint.enabled and outcome.status_code == 410:
        disable = "gone"
    elif endpoint.enabled and retry.failing_too_long(endpoint.failing_since, now, limit):
        disable = "failing"
    next_at = None
    if endpoint.enabled and disable is None:
        wait = retry.parse_retry_after(outcome.retry_after, now)
        next_at = retry.next_webhook_attempt(delivery.attempts, now, wait)
    delivery.next_attempt_at = next_at
    if next_at is None:
        delivery.status, delivery.finished_at = "failed", now
    uow.emit(event_mapping.webhook_failed(delivery, outcome.status_code, error, next_at))
    if disable is not None:
        await _disable(uow, endpoint, disable, now)


async def _disable(
    uow: UnitOfWork, endpoint: WebhookEndpointRow, reason: str, now: datetime
) -> None:
    """Disable an endpoint, give up its pending deliveries and tell its owner (by event)."""
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    endpoint.version += 1
    endpoint.updated_at = now
    await uow.session.flush()
    await _fail_pending(uow.session, endpoint.id, f"the endpoint was disabled ({reason})")
    # The owner hears of it through the `webhook.disabled` rule when this event comes back.
    uow.emit(event_mapping.endpoint_disabled(endpoint))


# --- replay --------------------------------------------------------------------------------


def _again(original: WebhookDeliveryRow, now: datetime) -> WebhookDeliveryRow:
    return WebhookDeliveryRow(
        id=uuid.uuid4(),
        tenant_id=original.tenant_id,
        endpoint_id=original.endpoint_id,
        event_id=original.event_id,
        event_type=original.event_type,
        body=original.body,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        replay_of=original.id,
        created_at=now,
    )


async def _enabled(session: AsyncSession, principal: Principal, endpoint_id: UUID) -> None:
    endpoint = await _endpoint(session, principal, endpoint_id)
    if not endpoint.enabled:
        raise ConflictError("The endpoint is disabled; enable it before replaying to it.")


async def replay_delivery(
    uow: UnitOfWork, principal: Principal, delivery_id: UUID, *, now: datetime
) -> WebhookDeliveryRow:
    """Send one delivery again, as a new delivery with the same `webhook-id`."""
    async with uow:
        original = await uow.session.scalar(
            select(WebhookDeliveryRow).where(
                WebhookDeliveryRow.id == delivery_id,
                WebhookDeliveryRow.tenant_id == principal.tenant,
            )
        )
        if original is None:
            raise NotFoundError(f"No webhook delivery {delivery_id}.")
        await _enabled(uow.session, principal, original.endpoint_id)
        again = _again(original, now)
        uow.session.add(again)
        await uow.commit()
    return again


async def replay_failed(
    uow: UnitOfWork, principal: Principal, endpoint_id: UUID, *, since: datetime, now: datetime
) -> int:
    """Send again every delivery to the endpoint that failed since `since` (the latest try of
    each message only); returns how many."""
    async with uow:
        await _enabled(uow.session, principal, endpoint_id)
        # A delivery that was replayed is superseded by its replay.
        replayed = select(WebhookDeliveryRow.replay_of).where(
            WebhookDeliveryRow.endpoint_id == endpoint_id,
            WebhookDeliveryRow.replay_of.is_not(None),
        )
        failed = await uow.session.scalars(
            select(WebhookDeliveryRow)
            .where(
                and_(
                    WebhookDeliveryRow.tenant_id == principal.tenant,
                    WebhookDeliveryRow.endpoint_id == endpoint_id,
                    WebhookDeliveryRow.status == "failed",
                    WebhookDeliveryRow.created_at >= since,
                    WebhookDeliveryRow.id.not_in(replayed),
                )
            )
            .order_by(WebhookDeliveryRow.created_at)
        )
        count = 0
        for original in failed:
            uow.session.add(_again(original, now))
            count += 1
        await uow.commit()
    return count
