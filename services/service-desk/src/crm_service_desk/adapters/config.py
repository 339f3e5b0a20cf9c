"""A tenant's SLA policy and its branches' business hours (defaults until an admin saves)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crm_contracts.service_desk import TicketPriority
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.adapters.orm import BusinessHoursRow, SlaPolicyRow
from crm_service_desk.domain.calendar import DEFAULT_HOURS, BusinessHours, Window
from crm_service_desk.domain.sla import DEFAULT_POLICY, SlaContext, SlaPolicy, Targets


def policy_json(policy: SlaPolicy) -> dict[str, Any]:
    return {
        p.value: {
            "first_response_minutes": t.first_response_minutes,
            "resolution_minutes": t.resolution_minutes,
        }
        for p, t in policy.targets.items()
    }


def week_json(hours: BusinessHours) -> list[dict[str, str] | None]:
    return [
        None if w is None else dict(zip(("open", "close"), w.texts(), strict=True))
        for w in hours.week
    ]


def hours_from_json(timezone: str, week: Sequence[Mapping[str, Any] | None]) -> BusinessHours:
    return BusinessHours(
        timezone, tuple(None if d is None else Window.parse(d["open"], d["close"]) for d in week)
    )


async def load_policy(session: AsyncSession, tenant_id: str) -> SlaPolicy:
    row = await session.get(SlaPolicyRow, tenant_id)
    if row is None:
        return DEFAULT_POLICY
    return SlaPolicy(
        targets={TicketPriority(p): Targets(**t) for p, t in row.targets.items()},
        warning_minutes=row.warning_minutes,
        reopen_days=row.reopen_days,
        version=row.version,
    )


async def save_policy(
    session: AsyncSession, tenant_id: str, policy: SlaPolicy, *, replaces: int
) -> bool:
    """Store `policy` if the stored one is still version `replaces` (0: none yet)."""
    values = {
        "targets": policy_json(policy),
        "warning_minutes": policy.warning_minutes,
        "reopen_days": policy.reopen_days,
        "version": policy.version,
    }
    return await _save_if_version(session, SlaPolicyRow, {"tenant_id": tenant_id}, values, replaces)


async def load_hours(
    session: AsyncSession, tenant_id: str, branch_id: str
) -> tuple[BusinessHours, int]:
    """The branch's hours and their version (0: the default, never saved)."""
    row = await session.get(BusinessHoursRow, (tenant_id, branch_id))
    if row is None:
        return DEFAULT_HOURS, 0
    return hours_from_json(row.timezone, row.week), row.version


async def save_hours(
    session: AsyncSession,
    tenant_id: str,
    branch_id: str,
    hours: BusinessHours,
    *,
    version: int,
    replaces: int,
) -> bool:
    values = {"timezone": hours.timezone, "week": week_json(hours), "version": version}
    key = {"tenant_id": tenant_id, "branch_id": branch_id}
    return await _save_if_version(session, BusinessHoursRow, key, values, replaces)


async def _save_if_version(
    session: AsyncSession, row: Any, key: dict[str, str], values: dict[str, Any], replaces: int
) -> bool:
    """Insert or update in one statement, only over the version the caller read: two
    concurrent saves of the same version cannot both win. False when the caller is stale."""
    statement = insert(row).values(**key, **values)
    saved = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: statement.excluded[name] for name in values},
            where=row.version == replaces,
        ).returning(row.version)
    )
    return saved is not None


async def sla_context(session: AsyncSession, tenant_id: str, branch_id: str) -> SlaContext:
    hours, _ = await load_hours(session, tenant_id, branch_id)
    return SlaContext(hours, await load_policy(session, tenant_id))


async def branches_with_hours(session: AsyncSession, tenant_id: str) -> list[BusinessHoursRow]:
    rows = await session.scalars(
        select(BusinessHoursRow)
        .where(BusinessHoursRow.tenant_id == tenant_id)
        .order_by(BusinessHoursRow.branch_id)
    )
    return list(rows)
