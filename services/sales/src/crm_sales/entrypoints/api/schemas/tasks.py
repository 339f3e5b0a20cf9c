"""Schemas of tasks and the calendar."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from crm_contracts.sales import TaskMethod
from pydantic import AwareDatetime, Field

from crm_sales.domain.tasks import TaskStatus
from crm_sales.entrypoints.api.schemas.common import Name, Read, Schema, Text, UserId

LONGEST = 7 * 24 * 60  # minutes


class TaskCreate(Schema):
    customer_id: UUID
    subject: Name
    method: TaskMethod
    start_at: AwareDatetime
    duration_minutes: int = Field(ge=1, le=LONGEST, description="Minutes.")
    assignee_id: UserId | None = Field(default=None, description="Managers assign; reps: self.")
    reminder_at: AwareDatetime | None = None
    contact_id: UUID | None = None
    opportunity_id: UUID | None = None


class Reschedule(Schema):
    start_at: AwareDatetime
    duration_minutes: int | None = Field(
        default=None, ge=1, le=LONGEST, description="Minutes; unchanged when left out."
    )
    reminder_at: AwareDatetime | None = Field(
        default=None, description="Moves with the task (same lead time) when left out."
    )


class Completion(Schema):
    outcome: Text | None = None


class TaskRead(Read):
    id: UUID
    customer_id: UUID
    subject: str
    method: TaskMethod
    start_at: datetime
    duration_minutes: int
    due_at: datetime
    assignee_id: str
    reminder_at: datetime | None
    contact_id: UUID | None
    opportunity_id: UUID | None
    status: TaskStatus
    completed_at: datetime | None
    outcome: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class CalendarDay(Schema):
    date: date
    tasks: list[TaskRead]


class Calendar(Schema):
    """One user's tasks per day (in the company's timezone), e.g. a week."""

    user: str
    timezone: str
    days: list[CalendarDay]
