"""Routes of campaigns, their responses and results."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from crm_contracts.sales import CampaignChannel, CampaignResponseKind
from fastapi import APIRouter, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.paging import Page

from crm_sales.domain.commands import Edit, PlanCampaign, RecordResponse
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, tagged
from crm_sales.entrypoints.api.schemas.campaigns import (
    CampaignCreate,
    CampaignRead,
    CampaignResults,
    CampaignUpdate,
    ResponseIn,
    ResponseRead,
)
from crm_sales.service_layer import campaigns as handlers
from crm_sales.views import campaigns as views

router = APIRouter(prefix="/campaigns", tags=["campaigns"], dependencies=[STAFF])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CampaignRead)
async def plan_campaign(
    body: CampaignCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CampaignRead:
    """Plan a campaign for a customers segment (marketing, executives, administrators)."""
    campaign = await handlers.plan_campaign(
        uow=uow, cmd=PlanCampaign(**body.model_dump()), principal=principal
    )
    return answer(response, campaign, CampaignRead, location=f"/campaigns/{campaign.id}")


@router.get("", response_model=Page[CampaignRead])
async def list_campaigns(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    channel: CampaignChannel | None = None,
    running_on: date | None = None,
) -> Page[CampaignRead]:
    """The company's campaigns. Sort by start_date, name, budget."""
    return await views.campaigns(session, principal, paging, channel=channel, running_on=running_on)


@router.get("/{campaign_id}", response_model=CampaignRead)
async def get_campaign(
    campaign_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> CampaignRead:
    return tagged(response, await views.campaign(session, principal, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignRead)
async def update_campaign(
    campaign_id: UUID,
    body: CampaignUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> CampaignRead:
    campaign = await handlers.update_campaign(
        uow=uow,
        cmd=Edit(id=campaign_id, expected_version=expected_version, changes=body.changes()),
        principal=principal,
    )
    return answer(response, campaign, CampaignRead)


@router.post("/{campaign_id}/responses", response_model=ResponseRead)
async def record_response(
    campaign_id: UUID,
    body: ResponseIn,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> ResponseRead:
    """Record how a contact responded: 201 the first time, 200 when it was known already."""
    record, new = await handlers.record_response(
        uow=uow,
        cmd=RecordResponse(campaign_id=campaign_id, **body.model_dump()),
        principal=principal,
    )
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    response.headers["ETag"] = etag(record.version)
    return ResponseRead.model_validate(record.snapshot())


@router.get("/{campaign_id}/responses", response_model=Page[ResponseRead])
async def list_responses(
    campaign_id: UUID,
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    response_kind: CampaignResponseKind | None = None,
) -> Page[ResponseRead]:
    """Contacts' responses (only those who gave `response_kind`, when set)."""
    return await views.responses(session, principal, campaign_id, paging, response_kind)


@router.get("/{campaign_id}/results", response_model=CampaignResults)
async def results(
    campaign_id: UUID, principal: PrincipalDep, session: SessionDep
) -> CampaignResults:
    """Responses by kind, and attributed opportunities and won revenue against the budget."""
    return await views.results(session, principal, campaign_id)
