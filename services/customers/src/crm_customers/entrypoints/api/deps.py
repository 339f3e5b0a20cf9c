"""Dependencies of the customers routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from servicekit.app import SessionsDep
from servicekit.auth import Role, require_roles
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork


async def get_uow(sessions: SessionsDep) -> CustomersUnitOfWork:
    return CustomersUnitOfWork(sessions)


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for views."""
    async with sessions() as session:
        yield session


UoWDep = Annotated[CustomersUnitOfWork, Depends(get_uow)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
# The customer base is for the company's people: a customer's portal contact (who has the
# service desk's portal) is refused on every route of this service.
STAFF = require_roles(*(role for role in Role if role is not Role.PORTAL))
