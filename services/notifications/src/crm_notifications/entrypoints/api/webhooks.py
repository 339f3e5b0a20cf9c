"""Webhooks for integrators: endpoints by event type, signed deliveries, log and replay.

Deliveries follow the Standard Webhooks specification: headers `webhook-id` (the event id),
`webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>` with the endpoint's
`whsec_` secret); the body is the CloudEvent as on Kafka.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.paging import PageParams, page_params

from crm_notifications import views
from crm_notifications.entrypoints.api.deps import (
    INTEGRATION,
    NowDep,
    ServicesDep,
    SessionDep,
    UoWDep,
)
from crm_notifications.entrypoints.api.schemas import (
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
    EndpointChange,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointSecret,
    Replayed,
    ReplaySince,
)
from crm_notifications.service_layer import webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[INTEGRATION])


@router.post("/endpoints", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated)
async def create_endpoint(
    body: EndpointCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    services: ServicesDep,
    now: NowDep,
    response: Response,
) -> EndpointCreated:
    """Subscribe a URL to event types (`*` matches any text). The answer carries the
    signing secret. URLs that resolve to private or loopback addresses are refused."""
    endpoint = await webhooks.create_endpoint(
        uow,
        services,
        principal,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        now=now,
    )
    response.headers["Location"] = f"/webhooks/endpoints/{endpoint.id}"
    response.headers["ETag"] = etag(endpoint.version)
    return EndpointCreated.model_validate(endpoint)


@router.get("/endpoints", response_model=list[EndpointRead])
async def list_endpoints(principal: PrincipalDep, session: SessionDep) -> list[EndpointRead]:
    """Your company's endpoints, enabled or not."""
    return await views.endpoints(session, principal)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointRead)
async def get_endpoint(
    endpoint_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> EndpointRead:
    row = await views.endpoint_row(session, principal, endpoint_id)
    response.headers["ETag"] = etag(row.version)
    return EndpointRead.model_validate(row)


@router.get("/endpoints/{endpoint_id}/secret", response_model=EndpointSecret)
async def get_secret(
    endpoint_id: UUID, principal: PrincipalDep, session: SessionDep
) -> EndpointSecret:
    """The endpoint's signing secret (`whsec_...`)."""
    row = await views.endpoint_row(session, principal, endpoint_id)
    return EndpointSecret(secret=row.secret)


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointRead)
async def change_endpoint(
    endpoint_id: UUID,
    body: EndpointChange,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    services: ServicesDep,
    now: NowDep,
    response: Response,
) -> EndpointRead:
    """Change URL, event types or description; `enabled: true` re-enables a disabled one."""
    endpoint = await webhooks.change_endpoint(
        uow,
        services,
        principal,
        endpoint_id,
        expected_version=expected_version,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    response.headers["ETag"] = etag(endpoint.version)
    return EndpointRead.model_validate(endpoint)


@router.delete("/endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(
    endpoint_id: UUID, expected_version: IfMatch, principal: PrincipalDep, uow: UoWDep
) -> None:
    """Stop delivering to it; its delivery log stays readable."""
    await webhooks.delete_endpoint(uow, principal, endpoint_id, expected_version=expected_version)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    endpoint_id: UUID,
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    delivery_status: Annotated[
        Literal["pending", "succeeded", "failed"] | None, Query(alias="status")
    ] = None,
) -> DeliveryPage:
    """The delivery log of an endpoint, newest first, with the last status code of each."""
    return await views.deliveries(session, principal, endpoint_id, page, status=delivery_status)


@router.post("/endpoints/{endpoint_id}/replay", response_model=Replayed)
async def replay_failed(
    endpoint_id: UUID, body: ReplaySince, principal: PrincipalDep, uow: UoWDep, now: NowDep
) -> Replayed:
    """Deliver again everything that failed for this endpoint since `since`."""
    count = await webhooks.replay_failed(uow, principal, endpoint_id, since=body.since, now=now)
    return Replayed(replayed=count)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(
    delivery_id: UUID, principal: PrincipalDep, session: SessionDep
) -> DeliveryDetail:
    """One delivery with every attempt: time, status code, error, duration."""
    return await views.delivery(session, principal, delivery_id)


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
)
async def replay_delivery(
    delivery_id: UUID, principal: PrincipalDep, uow: UoWDep, now: NowDep
) -> DeliveryRead:
    """Deliver this one again now (a new delivery with the same `webhook-id`)."""
    again = await webhooks.replay_delivery(uow, principal, delivery_id, now=now)
    return DeliveryRead.model_validate(again)
