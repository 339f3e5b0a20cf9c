"""Company announcements: admins write, everyone of the company (portal included) reads."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound
from servicekit.paging import Page

from crm_service_desk import views
from crm_service_desk.domain.announcement import Announcement
from crm_service_desk.entrypoints.api.company_schemas import (
    AnnouncementCreate,
    AnnouncementRead,
    AnnouncementUpdate,
)
from crm_service_desk.entrypoints.api.deps import NowDep, PageDep, SessionDep, UoWDep
from crm_service_desk.entrypoints.api.schemas import dump_changes
from crm_service_desk.service_layer import announcements as handlers

router = APIRouter(prefix="/announcements", tags=["announcements"])


def read(announcement: Announcement, response: Response) -> AnnouncementRead:
    response.headers["ETag"] = etag(announcement.version)
    return AnnouncementRead.model_validate(announcement)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AnnouncementRead)
async def create_announcement(
    body: AnnouncementCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> AnnouncementRead:
    """Admins only. Without `publish_at` it stays a draft."""
    announcement = await handlers.create_announcement(
        uow=uow, values=body.model_dump(), principal=principal, now=now
    )
    response.headers["Location"] = f"/announcements/{announcement.id}"
    return read(announcement, response)


@router.get("", response_model=Page[AnnouncementRead])
async def list_announcements(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    drafts: bool = Query(False, description="Admins: include drafts and expired ones."),
) -> Page[AnnouncementRead]:
    """Published announcements, newest first."""
    return await views.list_announcements(
        session, principal, page, AnnouncementRead, now=now, drafts=drafts
    )


@router.get("/{announcement_id}", response_model=AnnouncementRead)
async def get_announcement(
    announcement_id: UUID,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> AnnouncementRead:
    found = await views.announcement(session, principal, announcement_id, now=now)
    if found is None:
        raise NotFound(f"No announcement {announcement_id}.")
    response.headers["ETag"] = etag(found.version)
    return AnnouncementRead.model_validate(found)


@router.patch("/{announcement_id}", response_model=AnnouncementRead)
async def update_announcement(
    announcement_id: UUID,
    body: AnnouncementUpdate,
    expected_version: IfMatch,
    principal: PrincipalDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> AnnouncementRead:
    """Admins only; publish a draft by setting `publish_at`, withdraw by setting `expires_at`."""
    announcement = await handlers.update_announcement(
        uow=uow,
        announcement_id=announcement_id,
        expected_version=expected_version,
        changes=dump_changes(body),
        principal=principal,
        now=now,
    )
    return read(announcement, response)
