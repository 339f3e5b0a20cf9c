"""Forecast snapshots, the forecast quality bar, and rebuilding the read models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from servicekit.app import RuntimeDep, SessionsDep

from crm_reporting.config import ReportingSettings
from crm_reporting.entrypoints.api import schemas as s
from crm_reporting.entrypoints.api.deps import (
    AdminDep,
    ManagerDep,
    OperatorDep,
    ReaderDep,
    SessionDep,
)
from crm_reporting.service_layer import forecast, rebuild

router = APIRouter(tags=["forecast snapshots", "rebuild"])


@router.get("/settings/forecast", response_model=s.ForecastPolicy)
async def get_forecast_policy(principal: ReaderDep, session: SessionDep) -> s.ForecastPolicy:
    """The quality bar an opportunity meets to be kept in a forecast snapshot."""
    return await forecast.policy(session, principal.tenant)


@router.put("/settings/forecast", response_model=s.ForecastPolicy)
async def set_forecast_policy(
    body: s.ForecastPolicy, principal: AdminDep, sessions: SessionsDep
) -> s.ForecastPolicy:
    """Set the quality bar: the lowest open stage a forecast counts."""
    return await forecast.set_policy(sessions, principal=principal, wanted=body)


@router.post("/snapshots", response_model=s.SnapshotRead, status_code=201)
async def take_snapshot(
    principal: ManagerDep, sessions: SessionsDep, response: Response
) -> s.SnapshotRead:
    """Store the forecast of every opportunity that meets the quality bar, now."""
    snapshot = await forecast.snapshot_now(sessions, principal=principal, now=datetime.now(UTC))
    response.headers["Location"] = f"/snapshots/{snapshot.snapshot_id}"
    return snapshot


@router.get("/snapshots", response_model=s.Snapshots)
async def list_snapshots(
    principal: ReaderDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> s.Snapshots:
    """The tenant's forecast snapshots, newest first."""
    return await forecast.list_snapshots(session, principal.tenant, limit)


@router.get("/snapshots/{snapshot_id}", response_model=s.SnapshotRead)
async def get_snapshot(
    snapshot_id: UUID, principal: ReaderDep, session: SessionDep
) -> s.SnapshotRead:
    """One forecast snapshot."""
    return await forecast.read_snapshot(session, principal.tenant, snapshot_id)


@router.post("/rebuilds", response_model=s.RebuildRead, status_code=202)
async def start_rebuild(
    request: Request, principal: OperatorDep, runtime: RuntimeDep, response: Response
) -> s.RebuildRead:
    """Drop the read models and rebuild them from the topics from offset zero, while the
    reports keep answering from the current ones; follow it at `GET /rebuilds/{id}`."""
    settings = runtime.settings
    assert isinstance(settings, ReportingSettings)
    rebuild_id = await rebuild.start(
        runtime.session_factory,
        by=principal.user_id,
        stale_after_s=settings.rebuild_stale_after_s,
    )
    live = runtime.consumer
    request.app.state.rebuilds.launch(
        rebuild.Rebuild(
            rebuild_id,
            settings=settings,
            sessions=runtime.session_factory,
            handlers=runtime.definition.handlers,
            topics=runtime.definition.subscribes,
            consumer_name=live.name
            if live is not None
            else settings.consumer_group or f"crm-{runtime.definition.name}",
        )
    )
    response.headers["Location"] = f"/rebuilds/{rebuild_id}"
    async with runtime.session_factory() as session:
        return await rebuild.read(session, rebuild_id)


@router.get("/rebuilds/{rebuild_id}", response_model=s.RebuildRead)
async def get_rebuild(
    rebuild_id: UUID, principal: OperatorDep, session: SessionDep
) -> s.RebuildRead:
    """A rebuild's progress: records consumed against the high watermarks, events applied."""
    return await rebuild.read(session, rebuild_id)
