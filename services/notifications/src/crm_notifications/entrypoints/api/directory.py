"""The user directory: e-mail addresses, branches and roles of the company's users, as
notifications need them (who is the branch manager of whom). Administrators keep it."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag

from crm_notifications import views
from crm_notifications.entrypoints.api.deps import (
    ADMIN,
    ADMIN_OR_EXECUTIVE,
    NowDep,
    OptionalIfMatch,
    SessionDep,
    UoWDep,
)
from crm_notifications.entrypoints.api.schemas import UserPut, UserRead
from crm_notifications.service_layer import admin

router = APIRouter(prefix="/users", tags=["directory"])
UserIdPath = Path(max_length=128, pattern=r"^[A-Za-z0-9._@-]+$")


@router.get("", response_model=list[UserRead], dependencies=[ADMIN_OR_EXECUTIVE])
async def list_users(principal: PrincipalDep, session: SessionDep) -> list[UserRead]:
    """Every user of your company in the directory."""
    return await views.users(session, principal)


@router.get("/{user_id}", response_model=UserRead, dependencies=[ADMIN_OR_EXECUTIVE])
async def get_user(
    principal: PrincipalDep, session: SessionDep, response: Response, user_id: str = UserIdPath
) -> UserRead:
    found = await views.user(session, principal, user_id)
    response.headers["ETag"] = etag(found.version)
    return found


@router.put("/{user_id}", response_model=UserRead, dependencies=[ADMIN])
async def put_user(
    body: UserPut,
    principal: PrincipalDep,
    uow: UoWDep,
    precondition: OptionalIfMatch,
    now: NowDep,
    response: Response,
    user_id: str = UserIdPath,
) -> UserRead:
    """Create a directory entry, or replace one (then `If-Match` is required)."""
    row = await admin.put_user(
        uow,
        principal,
        user_id,
        expected_version=precondition.version,
        if_match_sent=precondition.sent,
        values=body.model_dump(),
        now=now,
    )
    response.headers["ETag"] = etag(row.version)
    return UserRead.model_validate(row)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[ADMIN])
async def delete_user(
    principal: PrincipalDep, uow: UoWDep, expected_version: IfMatch, user_id: str = UserIdPath
) -> None:
    """Remove a user from the directory: no more e-mail to them."""
    await admin.remove_user(uow, principal, user_id, expected_version=expected_version)
