"""Assets: the products a customer owns, with serial and warranty."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from servicekit.concurrency import IfMatch, etag
from servicekit.errors import NotFound
from servicekit.paging import Page

from crm_service_desk import views
from crm_service_desk.domain.asset import Asset
from crm_service_desk.entrypoints.api.deps import NowDep, PageDep, SessionDep, StaffDep, UoWDep
from crm_service_desk.entrypoints.api.schemas import (
    AssetCreate,
    AssetRead,
    AssetUpdate,
    dump_changes,
)
from crm_service_desk.service_layer import assets as handlers

router = APIRouter(prefix="/assets", tags=["assets"])


def read(asset: Asset, response: Response) -> AssetRead:
    response.headers["ETag"] = etag(asset.version)
    return AssetRead.model_validate(asset)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AssetRead)
async def register_asset(
    body: AssetCreate, principal: StaffDep, uow: UoWDep, now: NowDep, response: Response
) -> AssetRead:
    """Register a product of a customer of your branch."""
    asset = await handlers.register_asset(
        uow=uow, principal=principal, now=now, **body.model_dump()
    )
    response.headers["Location"] = f"/assets/{asset.id}"
    return read(asset, response)


@router.get("", response_model=Page[AssetRead])
async def list_assets(
    principal: StaffDep,
    session: SessionDep,
    page: PageDep,
    customer_id: UUID | None = None,
    serial: Annotated[str | None, Query(max_length=120)] = None,
    warranty_ended_before: Annotated[
        date | None, Query(description="Only assets whose warranty ended before this day.")
    ] = None,
) -> Page[AssetRead]:
    return await views.list_assets(
        session,
        principal,
        page,
        AssetRead,
        customer_id=customer_id,
        serial=serial,
        warranty_ended_before=warranty_ended_before,
    )


@router.get("/{asset_id}", response_model=AssetRead)
async def get_asset(
    asset_id: UUID, principal: StaffDep, session: SessionDep, response: Response
) -> AssetRead:
    found = await views.asset(session, principal, asset_id)
    if found is None:
        raise NotFound(f"No asset {asset_id}.")
    response.headers["ETag"] = etag(found.version)
    return AssetRead.model_validate(found)


@router.patch("/{asset_id}", response_model=AssetRead)
async def update_asset(
    asset_id: UUID,
    body: AssetUpdate,
    expected_version: IfMatch,
    principal: StaffDep,
    uow: UoWDep,
    now: NowDep,
    response: Response,
) -> AssetRead:
    """Correct an asset (`If-Match` required). Tickets keep the warranty flag they opened with."""
    asset = await handlers.update_asset(
        uow=uow,
        asset_id=asset_id,
        expected_version=expected_version,
        changes=dump_changes(body),
        principal=principal,
        now=now,
    )
    return read(asset, response)
