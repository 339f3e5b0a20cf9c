"""Segments: groups of customers for marketing campaigns (003)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from servicekit.app import SessionsDep
from servicekit.auth import PrincipalDep
from servicekit.concurrency import IfMatch, etag
from servicekit.paging import Page, PageParams, page_params
from servicekit.uow import UnitOfWork

from crm_customers import views
from crm_customers.entrypoints.api.deps import STAFF, SessionDep
from crm_customers.entrypoints.api.schemas import (
    CustomerRead,
    SegmentChange,
    SegmentCreate,
    SegmentRead,
)
from crm_customers.service_layer import segments

router = APIRouter(prefix="/segments", tags=["segments"], dependencies=[STAFF])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SegmentRead)
async def create_segment(
    body: SegmentCreate, principal: PrincipalDep, sessions: SessionsDep, response: Response
) -> SegmentRead:
    """A static list (`members`) or a saved filter (`filter`, resolved when read)."""
    segment = await segments.create(
        UnitOfWork(sessions),
        principal,
        name=body.name,
        kind=body.kind,
        filter=body.filter.model_dump(exclude_defaults=True, mode="json") if body.filter else None,
        members=body.members,
    )
    response.headers["Location"] = f"/segments/{segment.id}"
    response.headers["ETag"] = etag(segment.version)
    return SegmentRead.model_validate(segment, from_attributes=True)


@router.get("", response_model=list[SegmentRead])
async def list_segments(principal: PrincipalDep, session: SessionDep) -> list[SegmentRead]:
    return await views.segments(session, principal)


@router.get("/{segment_id}", response_model=SegmentRead)
async def get_segment(
    segment_id: UUID, principal: PrincipalDep, session: SessionDep, response: Response
) -> SegmentRead:
    found = await views.segment(session, segment_id, principal)
    response.headers["ETag"] = etag(found.version)
    return found


@router.get("/{segment_id}/members", response_model=Page[CustomerRead])
async def segment_members(
    segment_id: UUID,
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[CustomerRead]:
    """The customers in the segment that you may see."""
    return await views.segment_members(session, segment_id, principal, page)


@router.patch("/{segment_id}", response_model=SegmentRead)
async def change_segment(
    segment_id: UUID,
    body: SegmentChange,
    expected_version: IfMatch,
    principal: PrincipalDep,
    sessions: SessionsDep,
    response: Response,
) -> SegmentRead:
    """Rename, or add and remove members of a static segment."""
    segment = await segments.change(
        UnitOfWork(sessions),
        principal,
        segment_id,
        expected_version=expected_version,
        name=body.name,
        add=body.add,
        remove=body.remove,
    )
    response.headers["ETag"] = etag(segment.version)
    return SegmentRead.model_validate(segment, from_attributes=True)


@router.delete("/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_segment(
    segment_id: UUID, expected_version: IfMatch, principal: PrincipalDep, sessions: SessionsDep
) -> None:
    await segments.change(
        UnitOfWork(sessions), principal, segment_id, expected_version=expected_version, drop=True
    )
