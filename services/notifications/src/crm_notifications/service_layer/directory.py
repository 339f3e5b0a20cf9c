"""Who is who: the tenant's user directory, and the customer owners followed from events.

"Manager of" a user is whoever holds the branch_manager role in that user's branch (kept
simple on purpose: no reporting lines). When the user's branch is unknown, the branch of the
event stands in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_notifications.adapters.orm import CustomerOwnerRow, DirectoryUserRow
from crm_notifications.domain.rules import (
    BranchManagers,
    CustomerOwner,
    ManagerOf,
    Selector,
    UserField,
)

MANAGER_ROLE = "branch_manager"


async def user(session: AsyncSession, tenant: str, user_id: str) -> DirectoryUserRow | None:
    return await session.get(DirectoryUserRow, (tenant, user_id))


async def managers_of_branch(session: AsyncSession, tenant: str, branch: str | None) -> list[str]:
    if not branch:
        return []
    found = await session.scalars(
        select(DirectoryUserRow.user_id)
        .where(
            DirectoryUserRow.tenant_id == tenant,
            DirectoryUserRow.branch_id == branch,
            DirectoryUserRow.active.is_(True),
            DirectoryUserRow.roles.contains([MANAGER_ROLE]),
        )
        .order_by(DirectoryUserRow.user_id)
    )
    return list(found)


async def customer(session: AsyncSession, tenant: str, customer_id: UUID | None) -> Any:
    if customer_id is None:
        return None
    return await session.get(CustomerOwnerRow, (tenant, customer_id))


def customer_id_of(data: Mapping[str, Any]) -> UUID | None:
    value = data.get("customer_id")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


async def resolve(
    session: AsyncSession,
    selector: Selector,
    *,
    tenant: str,
    branch: str | None,
    data: Mapping[str, Any],
) -> list[str]:
    """The user ids `selector` names for an event of `tenant` with `data`."""
    match selector:
        case UserField(name=name):
            value = data.get(name)
            return [str(value)] if value else []
        case CustomerOwner():
            row = await customer(session, tenant, customer_id_of(data))
            return [row.owner_id] if row is not None and row.owner_id else []
        case ManagerOf(of=inner):
            managers: list[str] = []
            for user_id in await resolve(session, inner, tenant=tenant, branch=branch, data=data):
                found = await user(session, tenant, user_id)
                home = found.branch_id if found is not None and found.branch_id else branch
                managers += await managers_of_branch(session, tenant, home)
            if not managers and branch:
                managers = await managers_of_branch(session, tenant, branch)
            return managers
        case BranchManagers(field=field):
            where = data.get(field) if field else branch
            return await managers_of_branch(session, tenant, str(where) if where else None)
    return []
