"""Tickets for the company's staff: the branch queue, status machine, comments, surveys."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_contracts.service_desk import TicketChannel, TicketPriority, TicketStatus
from fastapi import APIRouter, Query, Response, status
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound
from servicekit.paging import Page

from crm_service_desk import views
from crm_service_desk.domain.commands import (
    AddComment,
    AnswerSurvey,
    ChangeStatus,
    OpenTicket,
    UpdateTicket,
)
from crm_service_desk.domain.ticket import Ticket
from crm_service_desk.entrypoints.api.deps import (
    NowDep,
    PageDep,
    SessionDep,
    StaffDep,
    UoWDep,
)
from crm_service_desk.entrypoints.api.schemas import (
    CommentCreate,
    CommentRead,
    StatusChange,
    SurveyCreate,
    SurveyRead,
    TicketCreate,
    TicketRead,
    TicketUpdate,
    attachments,
    dump_changes,
)
from crm_service_desk.service_layer import tickets as handlers

router = APIRouter(prefix="/tickets", tags=["tickets"])

Filter = Annotated[str | None, Query(max_length=128)]


def read(ticket: Ticket, response: Response) -> TicketRead:
    response.headers["ETag"] = etag(ticket.version)
    return TicketRead.model_validate(ticket)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketRead)
async def open_ticket(
    body: TicketCreate, principal: StaffDep, uow: UoWDep, now: NowDep, response: Response
) -> TicketRead:
    """Open a ticket for a customer of your branch (phone, e-mail). Its SLA deadlines start
    now, in the branch's business hours. Send `Idempotency-Key` to make a retry safe."""
    cmd = OpenTicket(
        **body.model_dump(exclude={"attachments"}), attachments=attachments(body.attachments)
    )
    ticket = await handlers.open_ticket(uow=uow, cmd=cmd, principal=principal, now=now)
    response.headers["Location"] = f"/tickets/{ticket.id}"
    return read(ticket, response)


@router.get("", response_model=Page[TicketRead])
async def list_tickets(
    principal: StaffDep,
    session: SessionDep,
    page: PageDep,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
    priority: TicketPriority | None = None,
    channel: TicketChannel | None = None,
    customer_id: UUID | None = None,
    branch_id: Filter = None,
    assignee_id: Filter = None,
    unassigned: bool | None = None,
    category: Filter = None,
    escalated: bool | None = None,
    breached: bool | None = None,
    out_of_warranty: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="In the subject or the customer's name.")
    ] = None,
) -> Page[TicketRead]:
    """Your queue: your branch's tickets (all branches for HQ; a sales rep sees those of
    customers they own), filtered, sorted (`sort=resolution_due` puts the most urgent
    deadline first) and paged."""
    where = views.TicketFilter(
        status=tuple(status or ()),
        priority=priority,
        channel=channel,
        customer_id=customer_id,
        branch_id=branch_id,
        assignee_id=assignee_id,
        unassigned=unassigned,
        category=category,
        escalated=escalated,
        breached=breached,
        out_of_warranty=out_of_warranty,
        q=q,
    )
    return await views.list_tickets(session, principal, where, page, TicketRead)


@router.get("/{ticket_id}", response_model=TicketRead)
async def get_ticket(
    ticket_id: UUID, principal: StaffDep, session: SessionDep, response: Response
) -> TicketRead:
    """One ticket you may see; 404 for anything outside your scope."""
    found = await views.ticket(session, principal, ticket_id)
    if found is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return read(found, response)


@router.patch("/{ticket_id}", response_model=TicketRead)
async def update_ticket(
    ticket_id: UUID,
    body: TicketUpdate,
    expected_version: IfMatch,
    principal: StaffDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> TicketRead:
    """Change details, priority (the deadlines follow) or assignee. `If-Match` must carry
    the ETag you read; a stale one gets 412."""
    cmd = UpdateTicket(ticket_id, expected_version, dump_changes(body))
    return read(
        await handlers.update_ticket(uow=uow, cmd=cmd, principal=principal, now=now), response
    )


@router.post("/{ticket_id}/status", response_model=TicketRead)
async def change_status(
    ticket_id: UUID,
    body: StatusChange,
    expected_version: IfMatch,
    principal: StaffDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> TicketRead:
    """new → open → pending → resolved → closed; pending stops the SLA clocks; resolved and
    closed tickets reopen (to open) within the reopen window. A refused move answers 409."""
    cmd = ChangeStatus(ticket_id, expected_version, body.status, body.reason)
    return read(
        await handlers.change_status(uow=uow, cmd=cmd, principal=principal, now=now), response
    )


@router.post(
    "/{ticket_id}/comments", status_code=status.HTTP_201_CREATED, response_model=CommentRead
)
async def add_comment(
    ticket_id: UUID, body: CommentCreate, principal: StaffDep, uow: UoWDep, now: NowDep
) -> CommentRead:
    """A public reply (the first one meets the first-response SLA) or an internal note."""
    cmd = AddComment(ticket_id, body.body, body.internal, attachments(body.attachments))
    comment = await handlers.add_comment(uow=uow, cmd=cmd, principal=principal, now=now)
    return CommentRead.model_validate(comment)


@router.get("/{ticket_id}/comments", response_model=Page[CommentRead])
async def list_comments(
    ticket_id: UUID, principal: StaffDep, session: SessionDep, page: PageDep
) -> Page[CommentRead]:
    """Public replies and internal notes, in order."""
    found = await views.comments(session, principal, ticket_id, page, CommentRead)
    if found is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return found


@router.post("/{ticket_id}/survey", status_code=status.HTTP_201_CREATED, response_model=SurveyRead)
async def record_survey(
    ticket_id: UUID, body: SurveyCreate, principal: StaffDep, uow: UoWDep, now: NowDep
) -> SurveyRead:
    """Record the customer's rating taken by phone or e-mail (once per ticket)."""
    cmd = AnswerSurvey(ticket_id, body.score, body.comment, body.category)
    survey = await handlers.answer_survey(uow=uow, cmd=cmd, principal=principal, now=now)
    return SurveyRead.model_validate(survey)


@router.get("/{ticket_id}/survey", response_model=SurveyRead)
async def get_survey(ticket_id: UUID, principal: StaffDep, session: SessionDep) -> SurveyRead:
    found = await views.survey(session, principal, ticket_id)
    if found is None:
        raise NotFound(f"No survey answer for ticket {ticket_id}.")
    return SurveyRead.model_validate(found)
