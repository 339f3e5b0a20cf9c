"""The Task aggregate: a planned call, visit, e-mail or meeting on a rep's calendar (002)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from crm_contracts.sales import TaskMethod

from crm_sales.domain import events
from crm_sales.domain.base import CustomerRecord
from crm_sales.domain.errors import DomainError, StateConflict


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


@dataclass(kw_only=True)
class Task(CustomerRecord):
    ENTITY: ClassVar[str] = "task"

    subject: str
    method: TaskMethod
    start_at: datetime
    duration_minutes: int
    assignee_id: str
    created_by: str
    reminder_at: datetime | None = None
    contact_id: UUID | None = None
    opportunity_id: UUID | None = None
    status: TaskStatus = TaskStatus.OPEN
    completed_at: datetime | None = None
    outcome: str | None = None
    # The tenant's day of the last overdue reminder: overdue tasks remind once a day.
    overdue_notified_on: date | None = None

    def __post_init__(self) -> None:
        if self.duration_minutes <= 0:
            raise DomainError("a task takes some time", field="duration_minutes")
        if self.reminder_at is not None and self.reminder_at > self.start_at:
            raise DomainError("remind before the task starts", field="reminder_at")

    @classmethod
    def plan(cls, *, created_by: str, **values: Any) -> Task:
        task = cls(created_by=created_by, **values)
        task._record(events.Created(created_by=created_by))
        return task

    @property
    def due_at(self) -> datetime:
        return self.start_at + timedelta(minutes=self.duration_minutes)

    def is_overdue(self, now: datetime) -> bool:
        return self.status is TaskStatus.OPEN and self.due_at < now

    def _require_open(self) -> None:
        if self.status is not TaskStatus.OPEN:
            raise StateConflict("the task is completed")

    def reschedule(
        self,
        *,
        start_at: datetime,
        duration_minutes: int | None,
        reminder_at: datetime | None,
        by: str,
    ) -> None:
        """Move it; a reminder not given moves with the task (same lead time)."""
        self._require_open()
        old_start, old_duration = self.start_at, self.duration_minutes
        duration = duration_minutes or old_duration
        if reminder_at is None and self.reminder_at is not None:
            reminder_at = self.reminder_at + (start_at - old_start)
        if (start_at, duration, reminder_at) == (old_start, old_duration, self.reminder_at):
            return
        self.start_at, self.duration_minutes, self.reminder_at = start_at, duration, reminder_at
        self.__post_init__()
        self.overdue_notified_on = None  # a new due time: remind afresh if it slips again
        self._record(
            events.Rescheduled(
                old_start_at=old_start, old_duration_minutes=old_duration, rescheduled_by=by
            )
        )

    def reassign(self, assignee_id: str, *, by: str) -> None:
        self._require_open()
        if assignee_id == self.assignee_id:
            return
        old, self.assignee_id = self.assignee_id, assignee_id
        self._record(events.Reassigned(old_assignee_id=old, reassigned_by=by))

    def complete(self, *, by: str, now: datetime, outcome: str | None) -> None:
        self._require_open()
        self.status, self.completed_at, self.outcome = TaskStatus.COMPLETED, now, outcome
        self._record(events.Completed(completed_by=by))

    def remind_if_overdue(self, *, now: datetime, timezone: str) -> bool:
        """Record an overdue reminder unless one went out on the tenant's day already."""
        if not self.is_overdue(now):
            return False
        zone = ZoneInfo(timezone)
        today = now.astimezone(zone).date()
        if self.overdue_notified_on == today:
            return False
        self.overdue_notified_on = today
        days = (today - self.due_at.astimezone(zone).date()).days
        self._record(events.Overdue(overdue_on=today, days_overdue=days))
        return True

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "due_at": self.due_at}
