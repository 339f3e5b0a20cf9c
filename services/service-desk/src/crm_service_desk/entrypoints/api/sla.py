"""SLA settings: the tenant's targets per priority and each branch's business hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from servicekit.concurrency import IfMatch, etag

from crm_service_desk.adapters import config
from crm_service_desk.domain.sla import SlaPolicy, Targets
from crm_service_desk.entrypoints.api.company_schemas import (
    BusinessHoursIn,
    BusinessHoursRead,
    SlaPolicyIn,
    SlaPolicyRead,
)
from crm_service_desk.entrypoints.api.deps import SessionDep, StaffDep, UoWDep
from crm_service_desk.service_layer import settings as handlers

router = APIRouter(prefix="/sla", tags=["SLA settings"])
Branch = Annotated[str, Path(min_length=1, max_length=64)]


def policy_read(policy: SlaPolicy, response: Response) -> SlaPolicyRead:
    response.headers["ETag"] = etag(policy.version)
    return SlaPolicyRead.model_validate(
        {
            "targets": config.policy_json(policy),
            "warning_minutes": policy.warning_minutes,
            "reopen_days": policy.reopen_days,
            "version": policy.version,
        }
    )


@router.get("/policy", response_model=SlaPolicyRead)
async def get_policy(principal: StaffDep, session: SessionDep, response: Response) -> SlaPolicyRead:
    """Targets per priority in business minutes; the defaults until an admin saves one."""
    return policy_read(await config.load_policy(session, principal.tenant), response)


@router.put("/policy", response_model=SlaPolicyRead)
async def put_policy(
    body: SlaPolicyIn,
    expected_version: IfMatch,
    principal: StaffDep,
    uow: UoWDep,
    response: Response,
) -> SlaPolicyRead:
    """Admins: replace the policy (`If-Match` of what you read; `"0"` for the defaults).
    Tickets opened from now on, and priority changes, use it."""
    policy = SlaPolicy(
        targets={p: Targets(**t.model_dump()) for p, t in body.targets.items()},
        warning_minutes=body.warning_minutes,
        reopen_days=body.reopen_days,
    )
    saved = await handlers.save_policy(
        uow=uow, policy=policy, expected_version=expected_version, principal=principal
    )
    return policy_read(saved, response)


@router.get("/business-hours/{branch_id}", response_model=BusinessHoursRead)
async def get_hours(
    branch_id: Branch, principal: StaffDep, session: SessionDep, response: Response
) -> BusinessHoursRead:
    hours, version = await config.load_hours(session, principal.tenant, branch_id)
    response.headers["ETag"] = etag(version)
    return BusinessHoursRead(
        branch_id=branch_id, timezone=hours.timezone, week=config.week_json(hours), version=version
    )


@router.put("/business-hours/{branch_id}", response_model=BusinessHoursRead)
async def put_hours(
    branch_id: Branch,
    body: BusinessHoursIn,
    expected_version: IfMatch,
    principal: StaffDep,
    uow: UoWDep,
    response: Response,
) -> BusinessHoursRead:
    """Admins, or the branch's managers: when the branch works; SLA time counts only then."""
    hours = config.hours_from_json(
        body.timezone, [d.model_dump() if d else None for d in body.week]
    )
    version = await handlers.save_hours(
        uow=uow,
        branch_id=branch_id,
        hours=hours,
        expected_version=expected_version,
        principal=principal,
    )
    response.headers["ETag"] = etag(version)
    return BusinessHoursRead(
        branch_id=branch_id, timezone=hours.timezone, week=config.week_json(hours), version=version
    )
