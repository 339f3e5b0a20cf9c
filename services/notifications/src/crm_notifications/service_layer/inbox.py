"""A user's in-app inbox: only ever the caller's own notifications."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from servicekit.auth import Principal
from servicekit.uow import UnitOfWork
from sqlalchemy import ColumnElement, func, update

from crm_notifications.adapters.orm import NotificationRow
from crm_notifications.domain.model import NotFoundError


def _mine(principal: Principal) -> tuple[ColumnElement[bool], ...]:
    return (
        NotificationRow.tenant_id == principal.tenant,
        NotificationRow.recipient_id == principal.user_id,
        NotificationRow.in_inbox.is_(True),
    )


async def mark_read(uow: UnitOfWork, principal: Principal, item_id: UUID, *, now: datetime) -> None:
    async with uow:
        result = await uow.session.execute(
            update(NotificationRow)
            .where(*_mine(principal), NotificationRow.id == item_id)
            .values(read_at=func.coalesce(NotificationRow.read_at, now))
            .returning(NotificationRow.id)
        )
        if result.first() is None:
            raise NotFoundError(f"No notification {item_id} in your inbox.")
        await uow.commit()


async def mark_all_read(uow: UnitOfWork, principal: Principal, *, before: datetime) -> int:
    async with uow:
        result = await uow.session.execute(
            update(NotificationRow)
            .where(
                *_mine(principal),
                NotificationRow.read_at.is_(None),
                NotificationRow.created_at <= before,
            )
            .values(read_at=before)
            .returning(NotificationRow.id)
        )
        count = len(result.all())
        await uow.commit()
    return count
