"""Company announcements for everyone of the tenant, portal contacts included (001)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from crm_service_desk.domain import events
from crm_service_desk.domain.errors import DomainError

EDITABLE = ("title", "body", "publish_at", "expires_at")


@dataclass
class Announcement:
    """Visible from `publish_at` (None: a draft) until `expires_at` (None: for good)."""

    id: UUID
    tenant_id: str
    title: str
    body: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    version: int = 1
    events: list[events.AnnouncementChanged] = field(
        default_factory=list, repr=False, compare=False
    )

    @classmethod
    def create(
        cls, *, tenant_id: str, title: str, body: str, by: str, now: datetime, **when: Any
    ) -> Announcement:
        announcement = cls(
            id=uuid4(),
            tenant_id=tenant_id,
            title=title,
            body=body,
            created_by=by,
            created_at=now,
            updated_at=now,
            **when,
        )
        announcement._check_dates()
        announcement.events.append(events.AnnouncementChanged(announcement.version, by))
        return announcement

    def update(self, changes: dict[str, Any], *, by: str, now: datetime) -> None:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise DomainError(f"not editable: {', '.join(sorted(unknown))}")
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return
        for key, value in changed.items():
            setattr(self, key, value)
        self._check_dates()
        self.version += 1
        self.updated_at = now
        self.events.append(events.AnnouncementChanged(self.version, by))

    def visible_at(self, now: datetime) -> bool:
        published = self.publish_at is not None and self.publish_at <= now
        return published and (self.expires_at is None or now < self.expires_at)

    def _check_dates(self) -> None:
        if self.publish_at and self.expires_at and self.expires_at <= self.publish_at:
            raise DomainError("expires_at must be after publish_at")
