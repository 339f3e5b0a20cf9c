"""Dependencies of the notifications routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from servicekit.app import SessionsDep
from servicekit.auth import Role, require_roles
from servicekit.concurrency import parse_if_match
from servicekit.uow import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.bootstrap import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_uow(sessions: SessionsDep) -> UnitOfWork:
    return UnitOfWork(sessions)


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for views."""
    async with sessions() as session:
        yield session


async def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Precondition:
    """`If-Match` where it is needed only to replace something that exists."""

    sent: bool
    version: int | None


async def _optional_if_match(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Precondition:
    if if_match is None:
        return Precondition(False, None)
    return Precondition(True, parse_if_match(if_match))


ServicesDep = Annotated[Services, Depends(get_services)]
UoWDep = Annotated[UnitOfWork, Depends(get_uow)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
NowDep = Annotated[datetime, Depends(utcnow)]
OptionalIfMatch = Annotated[Precondition, Depends(_optional_if_match)]

ADMIN = require_roles(Role.ADMIN)
# The company's people: everyone but a customer's portal contact (who has no inbox here).
STAFF = require_roles(*(role for role in Role if role is not Role.PORTAL))
ADMIN_OR_EXECUTIVE = require_roles(Role.ADMIN, Role.EXECUTIVE)
INTEGRATION = require_roles(Role.ADMIN, Role.INTEGRATOR)
MARKETING = require_roles(Role.ADMIN, Role.MARKETING)
