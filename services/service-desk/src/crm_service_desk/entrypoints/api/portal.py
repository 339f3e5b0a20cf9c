"""The portal: a customer's contact opens and follows its customer's tickets and rates them.

A portal token names one customer; everything here is scoped to it (404 otherwise), and
the schemas carry no internal fields: no assignee, no SLA clocks, no internal notes.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_contracts.service_desk import TicketChannel, TicketStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound
from servicekit.paging import Page

from crm_service_desk import views
from crm_service_desk.adapters.scope import portal_customer
from crm_service_desk.domain.commands import AddComment, AnswerSurvey, ChangeStatus, OpenTicket
from crm_service_desk.domain.ticket import Ticket
from crm_service_desk.entrypoints.api.deps import NowDep, PageDep, PortalDep, SessionDep, UoWDep
from crm_service_desk.entrypoints.api.schemas import (
    AssetRead,
    PortalCommentCreate,
    PortalCommentRead,
    PortalTicketCreate,
    PortalTicketRead,
    Reopen,
    SurveyCreate,
    SurveyRead,
    attachments,
)
from crm_service_desk.service_layer import tickets as handlers

router = APIRouter(prefix="/portal", tags=["portal"])


def read(ticket: Ticket, response: Response) -> PortalTicketRead:
    response.headers["ETag"] = etag(ticket.version)
    return PortalTicketRead.model_validate(ticket)


@router.post("/tickets", status_code=status.HTTP_201_CREATED, response_model=PortalTicketRead)
async def open_ticket(
    body: PortalTicketCreate, principal: PortalDep, uow: UoWDep, now: NowDep, response: Response
) -> PortalTicketRead:
    """Ask for help. Priority and assignee are the service desk's to set."""
    customer = portal_customer(principal)
    assert customer is not None
    cmd = OpenTicket(
        customer_id=customer,
        channel=TicketChannel.PORTAL,
        attachments=attachments(body.attachments),
        **body.model_dump(exclude={"attachments"}),
    )
    ticket = await handlers.open_ticket(uow=uow, cmd=cmd, principal=principal, now=now)
    response.headers["Location"] = f"/portal/tickets/{ticket.id}"
    return read(ticket, response)


@router.get("/tickets", response_model=Page[PortalTicketRead])
async def list_tickets(
    principal: PortalDep,
    session: SessionDep,
    page: PageDep,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
) -> Page[PortalTicketRead]:
    """Your company's tickets, newest first."""
    where = views.TicketFilter(status=tuple(status or ()))
    return await views.list_tickets(session, principal, where, page, PortalTicketRead)


@router.get("/tickets/{ticket_id}", response_model=PortalTicketRead)
async def get_ticket(
    ticket_id: UUID, principal: PortalDep, session: SessionDep, response: Response
) -> PortalTicketRead:
    found = await views.ticket(session, principal, ticket_id)
    if found is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return read(found, response)


@router.post(
    "/tickets/{ticket_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=PortalCommentRead,
)
async def add_comment(
    ticket_id: UUID, body: PortalCommentCreate, principal: PortalDep, uow: UoWDep, now: NowDep
) -> PortalCommentRead:
    """Reply; a reply to a ticket waiting on you puts it back in the service desk's hands."""
    cmd = AddComment(ticket_id, body.body, attachments=attachments(body.attachments))
    comment = await handlers.add_comment(uow=uow, cmd=cmd, principal=principal, now=now)
    return PortalCommentRead.model_validate(comment)


@router.get("/tickets/{ticket_id}/comments", response_model=Page[PortalCommentRead])
async def list_comments(
    ticket_id: UUID, principal: PortalDep, session: SessionDep, page: PageDep
) -> Page[PortalCommentRead]:
    """The public conversation, oldest first."""
    found = await views.comments(session, principal, ticket_id, page, PortalCommentRead)
    if found is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return found


@router.post("/tickets/{ticket_id}/reopen", response_model=PortalTicketRead)
async def reopen(
    ticket_id: UUID,
    body: Reopen,
    expected_version: IfMatch,
    principal: PortalDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> PortalTicketRead:
    """Not solved after all: reopen within the reopen window (409 after it)."""
    cmd = ChangeStatus(ticket_id, expected_version, TicketStatus.OPEN, body.reason)
    return read(
        await handlers.change_status(uow=uow, cmd=cmd, principal=principal, now=now), response
    )


@router.post(
    "/tickets/{ticket_id}/survey", status_code=status.HTTP_201_CREATED, response_model=SurveyRead
)
async def rate(
    ticket_id: UUID, body: SurveyCreate, principal: PortalDep, uow: UoWDep, now: NowDep
) -> SurveyRead:
    """Rate how a resolved ticket was handled: 1 to 5, with a comment (once)."""
    cmd = AnswerSurvey(ticket_id, body.score, body.comment, body.category)
    survey = await handlers.answer_survey(uow=uow, cmd=cmd, principal=principal, now=now)
    return SurveyRead.model_validate(survey)


@router.get("/assets", response_model=Page[AssetRead])
async def list_assets(principal: PortalDep, session: SessionDep, page: PageDep) -> Page[AssetRead]:
    """Your company's registered products, to name one when asking for help."""
    return await views.list_assets(session, principal, page, AssetRead)
