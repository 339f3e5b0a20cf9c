"""Scheduled jobs of the service desk (each takes `now`, so tests choose the time)."""

from __future__ import annotations

from datetime import datetime

from crm_contracts.service_desk import TicketStatus
from servicekit.scheduler import ScheduledJob
from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_service_desk.adapters.config import sla_context
from crm_service_desk.adapters.orm import SlaPolicyRow, TicketRow
from crm_service_desk.domain.sla import DEFAULT_POLICY
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork

BATCH = 200


async def supervise_slas(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Warn before SLA deadlines and report breaches, each once; a breach escalates the
    ticket to its branch's managers."""
    handled = 0
    while True:
        async with DeskUnitOfWork(sessions) as uow:
            tickets = await uow.tickets.due_for_sla(now, BATCH)
            handled += sum(ticket.check_sla(now) for ticket in tickets)
            await uow.commit()
        if len(tickets) < BATCH:
            return handled


async def close_resolved(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Resolved tickets whose reopen window has passed are closed for good."""
    reopen_days = func.coalesce(
        select(SlaPolicyRow.reopen_days)
        .where(SlaPolicyRow.tenant_id == TicketRow.tenant_id)
        .scalar_subquery(),
        DEFAULT_POLICY.reopen_days,
    )
    window_passed = TicketRow.resolved_at < literal(now) - func.make_interval(0, 0, 0, reopen_days)
    closed = 0
    while True:
        async with DeskUnitOfWork(sessions) as uow:
            tickets = await uow.tickets.resolved_before(window_passed, BATCH)
            for ticket in tickets:
                sla = await sla_context(uow.session, ticket.tenant_id, ticket.branch_id)
                ticket.change_status(TicketStatus.CLOSED, by="system", now=now, sla=sla)
            await uow.commit()
        closed += len(tickets)
        if len(tickets) < BATCH:
            return closed


SLA_SUPERVISOR = ScheduledJob("service-desk-sla", interval_s=60, run=supervise_slas)
AUTO_CLOSE = ScheduledJob("service-desk-auto-close", interval_s=3600, run=close_resolved)
