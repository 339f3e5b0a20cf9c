"""A tenant's sales configuration: pipeline stages with default probabilities, timezone."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_contracts.sales import StageOutcome

from crm_sales.domain import events
from crm_sales.domain.base import Aggregate
from crm_sales.domain.errors import DomainError

STAGE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    probability: int
    outcome: StageOutcome = StageOutcome.OPEN


@dataclass(frozen=True)
class Pipeline:
    """Ordered stages: open ones, then exactly one won (100 %) and one lost (0 %) stage."""

    stages: tuple[Stage, ...]

    def __post_init__(self) -> None:
        keys = Counter(stage.key for stage in self.stages)
        if duplicates := sorted(k for k, n in keys.items() if n > 1):
            raise DomainError(f"stage keys must be unique: {', '.join(duplicates)}", field="stages")
        for stage in self.stages:
            if not STAGE_KEY.match(stage.key):
                raise DomainError(f"bad stage key {stage.key!r}", field="stages")
            if not 0 <= stage.probability <= 100:
                raise DomainError(f"{stage.key}: probability is a percentage", field="stages")
        outcomes = Counter(stage.outcome for stage in self.stages)
        if outcomes[StageOutcome.OPEN] < 1:
            raise DomainError("a pipeline needs at least one open stage", field="stages")
        if outcomes[StageOutcome.WON] != 1 or outcomes[StageOutcome.LOST] != 1:
            raise DomainError("a pipeline has exactly one won and one lost stage", field="stages")
        # Closed stages are certain: weighted forecasts rely on it.
        if self.won.probability != 100 or self.lost.probability != 0:
            raise DomainError("the won stage is 100 % and the lost stage 0 %", field="stages")

    def get(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise DomainError(f"no stage {key!r} in this pipeline", field="stage")

    def _only(self, outcome: StageOutcome) -> Stage:
        return next(s for s in self.stages if s.outcome is outcome)

    @property
    def won(self) -> Stage:
        return self._only(StageOutcome.WON)

    @property
    def lost(self) -> Stage:
        return self._only(StageOutcome.LOST)

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.outcome is StageOutcome.OPEN]

    def open_stage(self, key: str | None) -> Stage:
        """`key` as an open stage (the first one when None); won/lost have their own moves."""
        stage = self.open_stages[0] if key is None else self.get(key)
        if stage.outcome is not StageOutcome.OPEN:
            raise DomainError(
                f"{stage.key!r} closes the opportunity: mark it won or lost instead", field="stage"
            )
        return stage


DEFAULT_PIPELINE = Pipeline(
    (
        Stage("qualification", "Qualification", 10),
        Stage("needs_analysis", "Needs analysis", 25),
        Stage("proposal", "Proposal", 50),
        Stage("negotiation", "Negotiation", 75),
        Stage("won", "Won", 100, StageOutcome.WON),
        Stage("lost", "Lost", 0, StageOutcome.LOST),
    )
)
DEFAULT_TIMEZONE = "UTC"
DEFAULT_EXPIRING_DAYS = 30


def configuration_id(tenant_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:crm:sales:configuration:{tenant_id}")


@dataclass(kw_only=True)
class SalesConfiguration(Aggregate):
    """One per tenant; the defaults apply until an administrator changes them."""

    ENTITY: ClassVar[str] = "configuration"

    pipeline: Pipeline = DEFAULT_PIPELINE
    timezone: str = DEFAULT_TIMEZONE
    expiring_days_ahead: int = DEFAULT_EXPIRING_DAYS

    def __post_init__(self) -> None:
        # One per tenant: its id (the event subject) follows from the tenant.
        self.id = configuration_id(self.tenant_id)

    def reconfigure(
        self, *, pipeline: Pipeline, timezone: str, expiring_days_ahead: int, by: str
    ) -> None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise DomainError(f"unknown timezone {timezone!r}", field="timezone") from exc
        if not 1 <= expiring_days_ahead <= 365:
            raise DomainError("between 1 and 365 days", field="expiring_days_ahead")
        self.pipeline = pipeline
        self.timezone = timezone
        self.expiring_days_ahead = expiring_days_ahead
        self._record(events.Reconfigured(changed_by=by))

    def snapshot(self) -> dict[str, Any]:
        state = super().snapshot()
        state["stages"] = [
            {"key": s.key, "name": s.name, "probability": s.probability, "outcome": s.outcome}
            for s in self.pipeline.stages
        ]
        return state
