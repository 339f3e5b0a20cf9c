"""SLA policy (targets per priority) and the clock that measures one promise of a ticket.

A clock holds a budget of business seconds. It runs while the ticket is worked on, stops
while the ticket is pending on the customer (the time spent so far is kept) and is met by a
first response or by resolution. Deadlines are recomputed whenever it starts running again
or its budget changes; a warning and a breach are each reported once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from crm_contracts.service_desk import SlaClockKind, TicketPriority

from crm_service_desk.domain.calendar import BusinessHours
from crm_service_desk.domain.errors import DomainError

MAX_TARGET_MINUTES = 60 * 24 * 90  # a quarter of round-the-clock time


@dataclass(frozen=True)
class Targets:
    first_response_minutes: int
    resolution_minutes: int

    def __post_init__(self) -> None:
        for minutes in (self.first_response_minutes, self.resolution_minutes):
            if not 0 < minutes <= MAX_TARGET_MINUTES:
                raise DomainError(f"SLA targets are 1 to {MAX_TARGET_MINUTES} business minutes")

    def minutes(self, clock: SlaClockKind) -> int:
        if clock is SlaClockKind.FIRST_RESPONSE:
            return self.first_response_minutes
        return self.resolution_minutes


@dataclass(frozen=True)
class SlaPolicy:
    """A tenant's promises; `version` 0 means the defaults nobody has saved yet."""

    targets: Mapping[TicketPriority, Targets]
    warning_minutes: int = 30
    reopen_days: int = 7
    version: int = 0

    def __post_init__(self) -> None:
        missing = set(TicketPriority) - set(self.targets)
        if missing:
            raise DomainError(f"SLA targets missing for: {', '.join(sorted(missing))}")
        if self.warning_minutes < 0 or self.reopen_days < 0:
            raise DomainError("warning_minutes and reopen_days cannot be negative")

    def budget_s(self, priority: TicketPriority, clock: SlaClockKind) -> int:
        return self.targets[priority].minutes(clock) * 60

    @property
    def warning_s(self) -> int:
        return self.warning_minutes * 60


DEFAULT_POLICY = SlaPolicy(
    targets={
        TicketPriority.URGENT: Targets(30, 240),
        TicketPriority.HIGH: Targets(60, 480),
        TicketPriority.NORMAL: Targets(240, 1440),
        TicketPriority.LOW: Targets(480, 2880),
    }
)


@dataclass(frozen=True)
class SlaContext:
    """What computing a ticket's deadlines needs: its branch's hours and the tenant's policy."""

    hours: BusinessHours
    policy: SlaPolicy = field(default=DEFAULT_POLICY)


class Alert(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True)
class SlaClock:
    """One promise of a ticket. Immutable: every change returns a new clock."""

    budget_s: int
    spent_s: int = 0  # business seconds used before `running_since`
    running_since: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    met_at: datetime | None = None
    warned: bool = False
    breached: bool = False

    @classmethod
    def start(cls, budget_s: int, now: datetime, sla: SlaContext) -> SlaClock:
        return cls(budget_s=budget_s, running_since=now)._scheduled(sla)

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def paused(self) -> bool:
        return self.running_since is None and self.met_at is None

    def left_s(self, now: datetime, hours: BusinessHours) -> int:
        """Business seconds left (negative when overdue)."""
        return self.budget_s - self._spent_until(now, hours)

    def pause(self, now: datetime, hours: BusinessHours) -> SlaClock:
        if self.running_since is None:
            return self
        return replace(
            self,
            spent_s=self._spent_until(now, hours),
            running_since=None,
            due_at=None,
            warn_at=None,
        )

    def resume(self, now: datetime, sla: SlaContext) -> SlaClock:
        if self.running or self.met_at is not None:
            return self
        return replace(self, running_since=now)._scheduled(sla)

    def meet(self, now: datetime, hours: BusinessHours) -> SlaClock:
        if self.met_at is not None:
            return self
        return replace(self.pause(now, hours), met_at=now)

    def reopen(self, now: datetime, sla: SlaContext) -> SlaClock:
        """A reopened ticket owes its resolution again, with the time already used."""
        if self.met_at is None:
            return self
        return replace(self, met_at=None).resume(now, sla)

    def rebudget(self, budget_s: int, sla: SlaContext) -> SlaClock:
        changed = replace(self, budget_s=budget_s)
        return changed._scheduled(sla) if changed.running else changed

    def check(self, now: datetime) -> tuple[SlaClock, Alert | None]:
        """Due a warning or a breach at `now`? Each is reported once; a late job skips the
        warning of a deadline that already passed."""
        if self.breached or self.due_at is None:
            return self, None
        if now >= self.due_at:
            return replace(self, breached=True, warned=True), Alert.BREACH
        if not self.warned and self.warn_at is not None and now >= self.warn_at:
            return replace(self, warned=True), Alert.WARNING
        return self, None

    def _spent_until(self, now: datetime, hours: BusinessHours) -> int:
        if self.running_since is None:
            return self.spent_s
        return self.spent_s + hours.between(self.running_since, now)

    def _scheduled(self, sla: SlaContext) -> SlaClock:
        assert self.running_since is not None
        left = self.budget_s - self.spent_s
        return replace(
            self,
            due_at=sla.hours.add(self.running_since, left),
            warn_at=sla.hours.add(self.running_since, left - sla.policy.warning_s),
        )
