"""What every sales aggregate shares: identity, version, recorded events, customer link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, ClassVar, NamedTuple
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from crm_contracts.sales import RecordMoveReason

from crm_sales.domain.errors import DomainError
from crm_sales.domain.events import Change, Event, MovedToCustomer


def utcnow() -> datetime:
    return datetime.now(UTC)


def business_day(now: datetime, timezone: str) -> date:
    """The tenant's calendar day at `now`: a day ends at local midnight, not UTC midnight."""
    return now.astimezone(ZoneInfo(timezone)).date()


class Recorded(NamedTuple):
    """A domain event and the aggregate version it produced (the CloudEvent `sequence`)."""

    version: int
    event: Event


# Fields kept in memory only: never copied to or from a table row.
TRANSIENT = frozenset({"events", "branch_id"})


@dataclass(kw_only=True)
class Aggregate:
    ENTITY: ClassVar[str]

    tenant_id: str
    id: UUID = field(default_factory=uuid4)
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    events: list[Recorded] = field(default_factory=list, repr=False, compare=False)

    def _record(self, event: Event) -> None:
        # One version per event, so consumers see an unbroken sequence per aggregate.
        self.version += 1
        self.updated_at = utcnow()
        self.events.append(Recorded(self.version, event))

    def snapshot(self) -> dict[str, Any]:
        """Current state by contract field name; event payloads pick what they need."""
        state = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in TRANSIENT}
        state[f"{self.ENTITY}_id"] = self.id
        return state

    def _apply_changes(
        self, changes: Mapping[str, Any], editable: frozenset[str]
    ) -> dict[str, Change]:
        """Set the fields that really change; returns them with old and new value as text."""
        unknown = set(changes) - editable
        if unknown:
            raise DomainError(f"not editable: {', '.join(sorted(unknown))}", field=min(unknown))
        diff = {
            name: Change(_text(getattr(self, name)), _text(value))
            for name, value in changes.items()
            if getattr(self, name) != value
        }
        for name in diff:
            setattr(self, name, changes[name])
        return diff


@dataclass(kw_only=True)
class CustomerRecord(Aggregate):
    """A record about one customer; its events are keyed by that customer."""

    customer_id: UUID
    # The customer's branch, from the customer facts; records follow their customer.
    branch_id: str | None = None

    def move_to_customer(self, customer_id: UUID, *, branch_id: str | None, by: str) -> bool:
        """The customer was merged into `customer_id`: this record goes with it."""
        if customer_id == self.customer_id:
            return False
        old = self.customer_id
        self.customer_id = customer_id
        self.branch_id = branch_id
        self._record(
            MovedToCustomer(
                old_customer_id=old, reason=RecordMoveReason.CUSTOMER_MERGED, changed_by=by
            )
        )
        return True


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
