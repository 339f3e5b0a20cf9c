"""Ticket use cases: one handler per command, one unit of work each.

Portal contacts reach the same handlers: they act for their one customer, as `contact`
authors, and may only open, comment on, reopen and rate its tickets.
"""

from __future__ import annotations

from datetime import datetime

from crm_contracts.service_desk import AuthorKind, TicketChannel, TicketStatus
from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.errors import Forbidden

from crm_service_desk.adapters.config import sla_context
from crm_service_desk.adapters.scope import is_portal
from crm_service_desk.domain.commands import (
    AddComment,
    AnswerSurvey,
    ChangeStatus,
    OpenTicket,
    UpdateTicket,
)
from crm_service_desk.domain.errors import ConflictError
from crm_service_desk.domain.survey import Survey
from crm_service_desk.domain.ticket import FINISHED, Comment, Ticket
from crm_service_desk.service_layer.access import (
    AGENTS,
    asset_for_ticket,
    check_contact,
    customer_in_scope,
    require,
    ticket_in_scope,
)
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork


def _author(principal: Principal) -> AuthorKind:
    return AuthorKind.CONTACT if is_portal(principal) else AuthorKind.AGENT


def _require_worker(principal: Principal, what: str) -> None:
    if not is_portal(principal):
        require(principal, AGENTS, what)


async def open_ticket(
    *, uow: DeskUnitOfWork, cmd: OpenTicket, principal: Principal, now: datetime
) -> Ticket:
    """Open a request for a customer the caller serves; deadlines start now."""
    _require_worker(principal, "open tickets")
    if is_portal(principal) and cmd.channel is not TicketChannel.PORTAL:
        raise Forbidden("A customer's contact opens tickets through the portal.")
    async with uow:
        customer = await customer_in_scope(uow, principal, cmd.customer_id)
        assert customer.branch_id is not None
        await check_contact(uow, principal.tenant, customer.customer_id, cmd.contact_id)
        asset = await asset_for_ticket(uow, principal.tenant, customer.customer_id, cmd.asset_id)
        ticket = Ticket.open(
            tenant_id=principal.tenant,
            branch_id=customer.branch_id,
            customer_id=customer.customer_id,
            subject=cmd.subject,
            description=cmd.description,
            priority=cmd.priority,
            channel=cmd.channel,
            opened_by=principal.user_id,
            sla=await sla_context(uow.session, principal.tenant, customer.branch_id),
            now=now,
            asset=asset,
            contact_id=cmd.contact_id,
            category=cmd.category,
            assignee_id=cmd.assignee_id,
            attachments=cmd.attachments,
        )
        uow.tickets.add(ticket)
        await uow.commit()
    return ticket


async def update_ticket(
    *, uow: DeskUnitOfWork, cmd: UpdateTicket, principal: Principal, now: datetime
) -> Ticket:
    """Details, priority (deadlines follow) and assignee, if the caller saw this version."""
    require(principal, AGENTS, "change tickets")
    changes = dict(cmd.changes)
    priority = changes.pop("priority", None)
    assign = "assignee_id" in changes
    assignee = changes.pop("assignee_id", None)
    async with uow:
        ticket = await ticket_in_scope(uow, principal, cmd.ticket_id)
        check_version(cmd.expected_version, ticket.version)
        sla = await sla_context(uow.session, ticket.tenant_id, ticket.branch_id)
        if "contact_id" in changes:
            await check_contact(uow, ticket.tenant_id, ticket.customer_id, changes["contact_id"])
        asset = None
        if "asset_id" in changes:
            asset = await asset_for_ticket(
                uow, ticket.tenant_id, ticket.customer_id, changes["asset_id"]
            )
        ticket.update(changes, by=principal.user_id, now=now, sla=sla, asset=asset)
        if priority is not None:
            ticket.change_priority(priority, by=principal.user_id, now=now, sla=sla)
        if assign:
            ticket.assign(assignee, by=principal.user_id, now=now)
        await uow.commit()
    return ticket


async def change_status(
    *, uow: DeskUnitOfWork, cmd: ChangeStatus, principal: Principal, now: datetime
) -> Ticket:
    """Move a ticket along its status machine; a portal contact may only reopen."""
    _require_worker(principal, "change the status of tickets")
    async with uow:
        ticket = await ticket_in_scope(uow, principal, cmd.ticket_id)
        check_version(cmd.expected_version, ticket.version)
        if is_portal(principal) and (
            cmd.status is not TicketStatus.OPEN or ticket.status not in FINISHED
        ):
            raise Forbidden("A customer's contact can only reopen a resolved ticket.")
        ticket.change_status(
            cmd.status,
            by=principal.user_id,
            now=now,
            sla=await sla_context(uow.session, ticket.tenant_id, ticket.branch_id),
            reason=cmd.reason,
        )
        await uow.commit()
    return ticket


async def add_comment(
    *, uow: DeskUnitOfWork, cmd: AddComment, principal: Principal, now: datetime
) -> Comment:
    """A public reply or an internal note (staff only)."""
    _require_worker(principal, "comment on tickets")
    async with uow:
        ticket = await ticket_in_scope(uow, principal, cmd.ticket_id)
        comment = ticket.comment(
            author_id=principal.user_id,
            author_kind=_author(principal),
            body=cmd.body,
            internal=cmd.internal,
            attachments=cmd.attachments,
            now=now,
            sla=await sla_context(uow.session, ticket.tenant_id, ticket.branch_id),
        )
        await uow.commit()
    return comment


async def answer_survey(
    *, uow: DeskUnitOfWork, cmd: AnswerSurvey, principal: Principal, now: datetime
) -> Survey:
    """The customer's rating of a resolved ticket (an agent may record one taken by phone)."""
    _require_worker(principal, "record surveys")
    async with uow:
        # The ticket's row lock makes a second, simultaneous answer wait and then see this one.
        ticket = await ticket_in_scope(uow, principal, cmd.ticket_id)
        if await uow.surveys.exists_for(ticket.id):
            raise ConflictError("this ticket was already rated")
        survey = Survey.answer(
            ticket,
            score=cmd.score,
            comment=cmd.comment,
            category=cmd.category,
            by=principal.user_id,
            now=now,
        )
        uow.surveys.add(survey)
        await uow.commit()
    return survey
