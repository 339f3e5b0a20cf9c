"""The customer pool and ownership: one owner per customer, history kept."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from servicekit.auth import PrincipalDep
from servicekit.errors import NotFound
from servicekit.paging import Page, PageParams, page_params

from crm_customers import views
from crm_customers.domain.commands import AssignCustomer
from crm_customers.entrypoints.api.customers import read
from crm_customers.entrypoints.api.deps import STAFF, SessionDep, UoWDep
from crm_customers.entrypoints.api.schemas import (
    Assignment,
    CustomerRead,
    OwnershipRead,
    TimelineEntry,
)
from crm_customers.service_layer import handlers

router = APIRouter(tags=["pool and ownership"], dependencies=[STAFF])


@router.get("/pool", response_model=Page[CustomerRead])
async def pool(
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[CustomerRead]:
    """Unowned customers you may claim (your branch; all branches for executives)."""
    where = views.CustomerFilter(in_pool=True, q=q)
    return await views.list_customers(session, principal, where, page)


@router.post("/pool/{customer_id}/claim", response_model=CustomerRead)
async def claim(
    customer_id: UUID, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CustomerRead:
    """Take a pooled customer. Two reps at the same moment: one wins, the other gets 409."""
    return read(
        await handlers.claim(uow=uow, customer_id=customer_id, principal=principal), response
    )


@router.post("/customers/{customer_id}/assign", response_model=CustomerRead)
async def assign(
    customer_id: UUID,
    body: Assignment,
    principal: PrincipalDep,
    uow: UoWDep,
    response: Response,
) -> CustomerRead:
    """Managers give a customer to a rep (null owner: the pool); history is kept."""
    cmd = AssignCustomer(customer_id, body.owner_id, body.branch_id)
    return read(await handlers.assign(uow=uow, cmd=cmd, principal=principal), response)


@router.post("/customers/{customer_id}/release", response_model=CustomerRead)
async def release(
    customer_id: UUID, principal: PrincipalDep, uow: UoWDep, response: Response
) -> CustomerRead:
    """The owner (or a manager) puts the customer back into the pool."""
    return read(
        await handlers.release(uow=uow, customer_id=customer_id, principal=principal), response
    )


@router.get("/customers/{customer_id}/ownership-history", response_model=list[OwnershipRead])
async def ownership_history(
    customer_id: UUID, principal: PrincipalDep, session: SessionDep
) -> list[OwnershipRead]:
    """Who owned the customer when, and why it changed hands."""
    if await views.customer(session, customer_id, principal) is None:
        raise NotFound(f"No customer {customer_id}.")
    return await views.ownership_history(session, customer_id, principal)


@router.get("/customers/{customer_id}/timeline", response_model=list[TimelineEntry])
async def timeline(
    customer_id: UUID, principal: PrincipalDep, session: SessionDep
) -> list[TimelineEntry]:
    """Interactions and changes of hands, newest first, across every owner (003)."""
    if await views.customer(session, customer_id, principal) is None:
        raise NotFound(f"No customer {customer_id}.")
    return await views.timeline(session, customer_id, principal)
