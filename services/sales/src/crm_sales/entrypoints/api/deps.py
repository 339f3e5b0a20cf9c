"""Dependencies of the sales routes, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from servicekit.app import SessionsDep
from servicekit.auth import Role, require_roles
from servicekit.paging import PageParams, page_params
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.service_layer.unit_of_work import SalesUnitOfWork


async def get_uow(sessions: SessionsDep) -> SalesUnitOfWork:
    return SalesUnitOfWork(sessions)


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for views."""
    async with sessions() as session:
        yield session


UoWDep = Annotated[SalesUnitOfWork, Depends(get_uow)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
PageDep = Annotated[PageParams, Depends(page_params)]

# Everyone on the company's staff; portal contacts have nothing to do in sales.
STAFF = require_roles(*(role for role in Role if role is not Role.PORTAL))
