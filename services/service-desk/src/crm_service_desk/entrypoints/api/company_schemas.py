"""Schemas of company-wide resources: announcements, the SLA policy, business hours."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_contracts.service_desk import TicketPriority
from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crm_service_desk.entrypoints.api.schemas import Kept, LongText, ReadSchema, Schema, Subject

Minutes = Annotated[int, Field(gt=0, le=60 * 24 * 90)]


class AnnouncementCreate(Schema):
    title: Subject
    body: LongText
    publish_at: AwareDatetime | None = Field(
        default=None, description="Visible from then on; leave out to keep it a draft."
    )
    expires_at: AwareDatetime | None = Field(default=None, description="Hidden from then on.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "title": "Service hours over the Spring Festival",
                    "body": "The hotline is closed from 28 January to 4 February.",
                    "publish_at": "2027-01-15T09:00:00+08:00",
                }
            ]
        }
    }


class AnnouncementUpdate(Schema):
    title: Annotated[Subject | None, Kept] = None
    body: Annotated[LongText | None, Kept] = None
    publish_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None


class AnnouncementRead(ReadSchema):
    id: UUID
    title: str
    body: str
    publish_at: datetime | None
    expires_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class TargetsIn(Schema):
    first_response_minutes: Minutes = Field(description="Business minutes to the first reply.")
    resolution_minutes: Minutes = Field(description="Business minutes to resolution.")


def _every_priority(targets: dict[TicketPriority, TargetsIn]) -> dict[TicketPriority, TargetsIn]:
    missing = set(TicketPriority) - set(targets)
    if missing:
        raise ValueError(f"targets missing for: {', '.join(sorted(missing))}")
    return targets


class SlaPolicyIn(Schema):
    targets: Annotated[dict[TicketPriority, TargetsIn], AfterValidator(_every_priority)]
    warning_minutes: int = Field(default=30, ge=0, le=24 * 60)
    reopen_days: int = Field(default=7, ge=0, le=365)


class SlaPolicyRead(SlaPolicyIn):
    version: int = Field(description="0: the defaults, never saved.")


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class DayHours(Schema):
    open: Annotated[str, StringConstraints(pattern=HHMM)] = Field(examples=["09:00"])
    close: Annotated[str, StringConstraints(pattern=HHMM + "|^24:00$")] = Field(
        examples=["18:00"], description="`24:00` closes at midnight."
    )

    @field_validator("close")
    @classmethod
    def _after_opening(cls, close: str, info: ValidationInfo) -> str:
        opens = info.data.get("open")
        if opens is not None and close <= opens:
            raise ValueError("must be after open (hours cannot run past midnight)")
        return close


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown IANA timezone") from exc
    return name


class BusinessHoursIn(Schema):
    timezone: Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)
    ] = Field(description="IANA timezone, e.g. Asia/Shanghai.")
    week: list[DayHours | None] = Field(
        min_length=7, max_length=7, description="Monday first; null: closed that day."
    )


class BusinessHoursRead(BusinessHoursIn):
    branch_id: str
    version: int = Field(description="0: the default (Mon-Fri 09:00-18:00 Asia/Shanghai).")
