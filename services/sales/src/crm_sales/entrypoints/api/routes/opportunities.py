"""Routes of opportunities: CRUD plus the pipeline moves, each with If-Match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from crm_contracts.sales import OpportunityStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.auth import Principal, PrincipalDep
from servicekit.concurrency import IfMatch
from servicekit.paging import Page

from crm_sales.domain.commands import (
    Assign,
    Edit,
    Lose,
    MoveStage,
    OnRecord,
    OpenOpportunity,
    Reopen,
)
from crm_sales.domain.opportunities import Opportunity
from crm_sales.entrypoints.api.deps import STAFF, PageDep, SessionDep, UoWDep
from crm_sales.entrypoints.api.routes.common import answer, tagged
from crm_sales.entrypoints.api.schemas.common import AssignTo
from crm_sales.entrypoints.api.schemas.opportunities import (
    Lose as LoseBody,
)
from crm_sales.entrypoints.api.schemas.opportunities import (
    OpportunityCreate,
    OpportunityRead,
    OpportunityUpdate,
    ReopenAt,
    StageMove,
)
from crm_sales.service_layer import opportunities as handlers
from crm_sales.service_layer.unit_of_work import SalesUnitOfWork
from crm_sales.views import opportunities as views

router = APIRouter(prefix="/opportunities", tags=["opportunities"], dependencies=[STAFF])
Handler = Callable[..., Awaitable[Opportunity]]


async def _run(
    handler: Handler, cmd: OnRecord, uow: SalesUnitOfWork, principal: Principal, response: Response
) -> OpportunityRead:
    opportunity = await handler(uow=uow, cmd=cmd, principal=principal)
    return answer(response, opportunity, OpportunityRead)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OpportunityRead)
async def open_opportunity(
    body: OpportunityCreate, principal: PrincipalDep, uow: UoWDep, response: Response
) -> OpportunityRead:
    """Open an opportunity: only the customer's owner or a manager may. Starts in the first
    open stage (or the one given) at that stage's probability."""
    opportunity = await handlers.open_opportunity(
        uow=uow, cmd=OpenOpportunity(**body.model_dump()), principal=principal
    )
    return answer(
        response, opportunity, OpportunityRead, location=f"/opportunities/{opportunity.id}"
    )


@router.get("", response_model=Page[OpportunityRead])
async def list_opportunities(
    principal: PrincipalDep,
    session: SessionDep,
    paging: PageDep,
    customer_id: UUID | None = None,
    owner_id: Annotated[str | None, Query(max_length=128)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    status: OpportunityStatus | None = None,
    campaign_id: UUID | None = None,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> Page[OpportunityRead]:
    """Opportunities you may see. Sort by name, amount, probability, stage,
    expected_close_date, created_at, updated_at (`-` for descending)."""
    return await views.opportunities(
        session,
        principal,
        paging,
        views.OpportunityFilter(
            customer_id, owner_id, stage, status, campaign_id, branch, close_from, close_to
        ),
    )


@router.get("/{opportunity_id}", response_model=OpportunityRead)
async def get_opportunity(
    opportunity_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> OpportunityRead:
    return tagged(response, await views.opportunity(session, principal, opportunity_id))


@router.patch("/{opportunity_id}", response_model=OpportunityRead)
async def update_opportunity(
    opportunity_id: UUID,
    body: OpportunityUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Change name, amount, currency, close date, probability or campaign of an open one."""
    cmd = Edit(id=opportunity_id, expected_version=expected_version, changes=body.changes())
    return await _run(handlers.update_opportunity, cmd, uow, principal, response)


@router.post("/{opportunity_id}/stage", response_model=OpportunityRead)
async def move_stage(
    opportunity_id: UUID,
    body: StageMove,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Move to another open stage; the probability becomes that stage's default."""
    cmd = MoveStage(id=opportunity_id, expected_version=expected_version, stage=body.stage)
    return await _run(handlers.move_stage, cmd, uow, principal, response)


@router.post("/{opportunity_id}/win", response_model=OpportunityRead)
async def win(
    opportunity_id: UUID,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Mark it won (100 %): publishes `opportunity.won`."""
    cmd = OnRecord(id=opportunity_id, expected_version=expected_version)
    return await _run(handlers.win, cmd, uow, principal, response)


@router.post("/{opportunity_id}/lose", response_model=OpportunityRead)
async def lose(
    opportunity_id: UUID,
    body: LoseBody,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Mark it lost (0 %), with the reason."""
    cmd = Lose(id=opportunity_id, expected_version=expected_version, reason=body.reason)
    return await _run(handlers.lose, cmd, uow, principal, response)


@router.post("/{opportunity_id}/reopen", response_model=OpportunityRead)
async def reopen(
    opportunity_id: UUID,
    body: ReopenAt,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Managers only: take a won or lost opportunity back into an open stage."""
    cmd = Reopen(id=opportunity_id, expected_version=expected_version, stage=body.stage)
    return await _run(handlers.reopen, cmd, uow, principal, response)


@router.post("/{opportunity_id}/assign", response_model=OpportunityRead)
async def assign(
    opportunity_id: UUID,
    body: AssignTo,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> OpportunityRead:
    """Managers only: give the opportunity to another rep."""
    cmd = Assign(id=opportunity_id, expected_version=expected_version, assignee_id=body.assignee_id)
    return await _run(handlers.assign, cmd, uow, principal, response)
