"""The Opportunity aggregate: a deal moving through the tenant's pipeline to won or lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from crm_contracts.sales import OpportunityOwnerChangeReason, OpportunityStatus

from crm_sales.domain import events
from crm_sales.domain.base import CustomerRecord
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.domain.pipeline import Pipeline, Stage

EDITABLE = frozenset({"name", "campaign_id"})


@dataclass(kw_only=True)
class Opportunity(CustomerRecord):
    ENTITY: ClassVar[str] = "opportunity"

    name: str
    amount: Decimal
    currency: str
    expected_close_date: date
    owner_id: str
    created_by: str
    stage: str
    probability: int
    status: OpportunityStatus = OpportunityStatus.OPEN
    campaign_id: UUID | None = None
    lost_reason: str | None = None
    closed_on: date | None = None

    @classmethod
    def open(
        cls,
        *,
        pipeline: Pipeline,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str | None,
        name: str,
        amount: Decimal,
        currency: str,
        expected_close_date: date,
        owner_id: str,
        created_by: str,
        stage: str | None = None,
        probability: int | None = None,
        campaign_id: UUID | None = None,
    ) -> Opportunity:
        """A new opportunity in an open stage, at that stage's probability unless given."""
        _check_amount(amount)
        start = pipeline.open_stage(stage)
        opportunity = cls(
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            name=name,
            amount=amount,
            currency=currency,
            expected_close_date=expected_close_date,
            owner_id=owner_id,
            created_by=created_by,
            stage=start.key,
            probability=start.probability if probability is None else probability,
            campaign_id=campaign_id,
        )
        opportunity._record(events.Created(created_by=created_by))
        return opportunity

    @property
    def is_open(self) -> bool:
        return self.status is OpportunityStatus.OPEN

    def _require_open(self, change: str) -> None:
        if not self.is_open:
            raise StateConflict(
                f"the opportunity is {self.status.value}: a manager reopens it before the"
                f" {change} can change"
            )

    # -- plain edits -------------------------------------------------------------------------

    def update(self, changes: dict[str, object], *, by: str) -> None:
        self._require_open("details")
        if "name" in changes and not str(changes["name"] or "").strip():
            raise DomainError("the name cannot be empty", field="name")
        if diff := self._apply_changes(changes, EDITABLE):
            self._record(events.Updated(changes=diff, updated_by=by))

    def change_amount(self, amount: Decimal, currency: str, *, by: str) -> None:
        self._require_open("amount")
        _check_amount(amount)
        if (amount, currency) == (self.amount, self.currency):
            return
        old_amount, old_currency = self.amount, self.currency
        self.amount, self.currency = amount, currency
        self._record(
            events.AmountChanged(
                old_amount=old_amount, old_currency=old_currency, new_amount=amount, changed_by=by
            )
        )

    def change_close_date(self, new: date, *, by: str) -> None:
        self._require_open("close date")
        if new == self.expected_close_date:
            return
        old, self.expected_close_date = self.expected_close_date, new
        self._record(events.CloseDateChanged(old_close_date=old, new_close_date=new, changed_by=by))

    def set_probability(self, probability: int, *, by: str) -> None:
        self._require_open("probability")
        if not 0 <= probability <= 100:
            raise DomainError("a probability is a percentage (0-100)", field="probability")
        if probability == self.probability:
            return
        old, self.probability = self.probability, probability
        self._record(
            events.ProbabilityChanged(
                old_probability=old, new_probability=probability, changed_by=by
            )
        )

    def assign(self, owner_id: str, *, by: str, reason: OpportunityOwnerChangeReason) -> bool:
        if owner_id == self.owner_id:
            return False
        old, self.owner_id = self.owner_id, owner_id
        self._record(
            events.OwnerChanged(
                old_owner_id=old, new_owner_id=owner_id, reason=reason, changed_by=by
            )
        )
        return True

    # -- the stage machine -------------------------------------------------------------------

    def move_to(self, stage_key: str, pipeline: Pipeline, *, by: str) -> None:
        """Move between open stages, forwards or back; the probability resets to the stage's."""
        self._require_open("stage")
        target = pipeline.open_stage(stage_key)
        if target.key != self.stage:
            self._enter(target, by=by)

    def win(self, pipeline: Pipeline, *, by: str, today: date) -> None:
        self._require_open("stage")
        self._enter(pipeline.won, by=by)
        self.status, self.closed_on = OpportunityStatus.WON, today
        self._record(events.Won(won_by=by))

    def lose(self, pipeline: Pipeline, *, reason: str, by: str, today: date) -> None:
        self._require_open("stage")
        reason = reason.strip()
        if not reason:
            raise DomainError("say why the opportunity was lost", field="reason")
        self._enter(pipeline.lost, by=by)
        self.status, self.closed_on, self.lost_reason = OpportunityStatus.LOST, today, reason
        self._record(events.Lost(reason=reason, lost_by=by))

    def reopen(self, pipeline: Pipeline, *, stage: str | None, by: str, by_manager: bool) -> None:
        """Only a manager takes a won or lost opportunity back into the pipeline."""
        if self.is_open:
            raise StateConflict("the opportunity is open already")
        if not by_manager:
            raise NotPermitted("only a manager reopens a won or lost opportunity")
        target = pipeline.open_stage(stage)
        old_stage = self.stage
        self.status, self.closed_on, self.lost_reason = OpportunityStatus.OPEN, None, None
        self._record(events.Reopened(old_stage=old_stage, new_stage=target.key, reopened_by=by))
        self._enter(target, by=by)

    def _enter(self, stage: Stage, *, by: str) -> None:
        old_stage, old_probability = self.stage, self.probability
        self.stage, self.probability = stage.key, stage.probability
        self._record(
            events.StageChanged(
                old_stage=old_stage,
                new_stage=stage.key,
                old_probability=old_probability,
                new_probability=stage.probability,
                changed_by=by,
            )
        )


def _check_amount(amount: Decimal) -> None:
    if amount < 0:
        raise DomainError("an amount cannot be negative", field="amount")
