"""The tenant's SLA policy (admins) and each branch's business hours (admins, its managers)."""

from __future__ import annotations

from dataclasses import replace

from servicekit.auth import Principal, Role
from servicekit.concurrency import check_version
from servicekit.errors import Forbidden, PreconditionFailed

from crm_service_desk.adapters import config
from crm_service_desk.adapters.event_mapping import hours_event, policy_event
from crm_service_desk.adapters.scope import is_portal
from crm_service_desk.domain.calendar import BusinessHours
from crm_service_desk.domain.sla import SlaPolicy
from crm_service_desk.service_layer.access import ADMINS, require
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork

STALE = "The settings changed since you read them; read them again and reapply your change."


async def save_policy(
    *, uow: DeskUnitOfWork, policy: SlaPolicy, expected_version: int | None, principal: Principal
) -> SlaPolicy:
    """Replace the policy; tickets opened from now on use it."""
    require(principal, ADMINS, "change the SLA policy")
    async with uow:
        current = await config.load_policy(uow.session, principal.tenant)
        check_version(expected_version, current.version)
        saved = replace(policy, version=current.version + 1)
        if not await config.save_policy(
            uow.session, principal.tenant, saved, replaces=current.version
        ):
            raise PreconditionFailed(STALE)
        uow.emit(policy_event(principal.tenant, saved, principal.user_id))
        await uow.commit()
    return saved


async def save_hours(
    *,
    uow: DeskUnitOfWork,
    branch_id: str,
    hours: BusinessHours,
    expected_version: int | None,
    principal: Principal,
) -> int:
    """Replace a branch's business hours; returns their new version."""
    manages = Role.BRANCH_MANAGER in principal.roles and principal.branch == branch_id
    if is_portal(principal) or not (principal.has_any(ADMINS) or manages):
        raise Forbidden("Only admins and the branch's managers set its business hours.")
    async with uow:
        _, current = await config.load_hours(uow.session, principal.tenant, branch_id)
        check_version(expected_version, current)
        if not await config.save_hours(
            uow.session, principal.tenant, branch_id, hours, version=current + 1, replaces=current
        ):
            raise PreconditionFailed(STALE)
        uow.emit(hours_event(principal.tenant, branch_id, hours, current + 1, principal.user_id))
        await uow.commit()
    return current + 1
