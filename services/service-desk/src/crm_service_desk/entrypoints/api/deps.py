"""Dependencies of the service-desk routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends
from servicekit.app import SessionsDep
from servicekit.auth import Principal, PrincipalDep
from servicekit.errors import Forbidden
from servicekit.paging import PageParams, page_params
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.adapters.scope import is_portal, portal_customer
from crm_service_desk.service_layer.access import READERS
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork


async def get_uow(sessions: SessionsDep) -> DeskUnitOfWork:
    return DeskUnitOfWork(sessions)


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for views."""
    async with sessions() as session:
        yield session


async def get_now() -> datetime:
    """The clock of a request: SLA deadlines start here (tests set it)."""
    return datetime.now(UTC)


async def get_staff(principal: PrincipalDep) -> Principal:
    """Company users who work with the service desk; portal contacts use /portal."""
    if is_portal(principal):
        raise Forbidden("Customers' contacts use the /portal routes.")
    if not principal.has_any(READERS):
        raise Forbidden("Your role does not use the service desk.")
    return principal


async def get_portal_contact(principal: PrincipalDep) -> Principal:
    if portal_customer(principal) is None:
        raise Forbidden("The portal needs a portal contact's token bound to one customer.")
    return principal


UoWDep = Annotated[DeskUnitOfWork, Depends(get_uow)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
StaffDep = Annotated[Principal, Depends(get_staff)]
PortalDep = Annotated[Principal, Depends(get_portal_contact)]
PageDep = Annotated[PageParams, Depends(page_params)]
