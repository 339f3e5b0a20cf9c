"""Announcements: admins write them; everyone of the company reads the published ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.errors import NotFound

from crm_service_desk.domain.announcement import Announcement
from crm_service_desk.service_layer.access import ADMINS, require
from crm_service_desk.service_layer.unit_of_work import DeskUnitOfWork


async def create_announcement(
    *, uow: DeskUnitOfWork, values: dict[str, Any], principal: Principal, now: datetime
) -> Announcement:
    require(principal, ADMINS, "write announcements")
    async with uow:
        announcement = Announcement.create(
            tenant_id=principal.tenant, by=principal.user_id, now=now, **values
        )
        uow.announcements.add(announcement)
        await uow.commit()
    return announcement


async def update_announcement(
    *,
    uow: DeskUnitOfWork,
    announcement_id: UUID,
    expected_version: int | None,
    changes: dict[str, Any],
    principal: Principal,
    now: datetime,
) -> Announcement:
    require(principal, ADMINS, "change announcements")
    async with uow:
        announcement = await uow.announcements.get(principal.tenant, announcement_id)
        if announcement is None:
            raise NotFound(f"No announcement {announcement_id}.")
        check_version(expected_version, announcement.version)
        announcement.update(changes, by=principal.user_id, now=now)
        await uow.commit()
    return announcement
