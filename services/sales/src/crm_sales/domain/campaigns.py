"""Campaigns (a segment, a channel, a budget, dates) and the responses of their contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from crm_contracts.sales import CampaignChannel, CampaignResponseKind

from crm_sales.domain import events
from crm_sales.domain.base import Aggregate, CustomerRecord
from crm_sales.domain.errors import DomainError

EDITABLE = frozenset({"name", "segment_id", "channel", "budget", "start_date", "end_date"})


@dataclass(kw_only=True)
class Campaign(Aggregate):
    ENTITY: ClassVar[str] = "campaign"

    name: str
    segment_id: UUID
    channel: CampaignChannel
    budget: Decimal
    currency: str
    start_date: date
    end_date: date
    created_by: str

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise DomainError("a campaign ends on or after its start", field="end_date")
        if self.budget < 0:
            raise DomainError("cannot be negative", field="budget")

    @classmethod
    def plan(cls, *, created_by: str, **values: Any) -> Campaign:
        campaign = cls(created_by=created_by, **values)
        campaign._record(events.Created(created_by=created_by))
        return campaign

    def update(self, changes: dict[str, Any], *, by: str) -> None:
        if diff := self._apply_changes(changes, EDITABLE):
            self.__post_init__()
            self._record(events.Updated(changes=diff, updated_by=by))


@dataclass(kw_only=True)
class CampaignResponse(CustomerRecord):
    """What one contact did with one campaign; each kind of response counts once."""

    ENTITY: ClassVar[str] = "campaign_response"

    campaign_id: UUID
    contact_id: UUID
    opened_at: datetime | None = None
    replied_at: datetime | None = None
    interested_at: datetime | None = None
    unsubscribed_at: datetime | None = None

    def record(self, kind: CampaignResponseKind, *, at: datetime, by: str) -> bool:
        """False when this contact already gave this response (a repeated webhook)."""
        attribute = f"{kind.value}_at"
        if getattr(self, attribute) is not None:
            return False
        setattr(self, attribute, at)
        self._record(events.ResponseRecorded(response=kind, responded_at=at, recorded_by=by))
        return True
