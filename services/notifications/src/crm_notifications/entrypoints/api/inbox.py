"""The in-app inbox: each user reads and marks their own notifications."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from servicekit.auth import PrincipalDep
from servicekit.paging import PageParams, page_params

from crm_notifications import views
from crm_notifications.entrypoints.api.deps import STAFF, NowDep, SessionDep, UoWDep
from crm_notifications.entrypoints.api.schemas import InboxPage, MarkAllRead, MarkedRead
from crm_notifications.service_layer import inbox

router = APIRouter(prefix="/inbox", tags=["inbox"], dependencies=[STAFF])


@router.get("", response_model=InboxPage)
async def list_inbox(
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    unread: Annotated[bool, Query(description="Only what is not read yet.")] = False,
) -> InboxPage:
    """Your notifications, newest first, with the count of unread ones."""
    return await views.inbox(session, principal, page, unread_only=unread)


@router.post("/{item_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_read(item_id: UUID, principal: PrincipalDep, uow: UoWDep, now: NowDep) -> None:
    """Mark one of your notifications read (again is fine)."""
    await inbox.mark_read(uow, principal, item_id, now=now)


@router.post("/read", response_model=MarkedRead)
async def mark_all_read(
    body: MarkAllRead, principal: PrincipalDep, uow: UoWDep, now: NowDep
) -> MarkedRead:
    """Mark everything that arrived up to `before` (default: now) read."""
    marked = await inbox.mark_all_read(uow, principal, before=body.before or now)
    return MarkedRead(marked=marked)
