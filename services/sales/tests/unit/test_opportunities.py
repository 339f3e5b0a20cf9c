"""The opportunity stage machine, probabilities and the won/lost rules, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from crm_contracts.sales import OpportunityStatus, StageOutcome
from crm_sales.domain import events
from crm_sales.domain.errors import DomainError, NotPermitted, StateConflict
from crm_sales.domain.opportunities import Opportunity
from crm_sales.domain.pipeline import DEFAULT_PIPELINE, Pipeline, Stage

TODAY = date(2026, 3, 16)
CUSTOM = Pipeline(
    (
        Stage("lead_in", "Lead in", 5),
        Stage("demo", "Demo given", 40),
        Stage("contract_sent", "Contract sent", 80),
        Stage("closed_won", "Won", 100, StageOutcome.WON),
        Stage("closed_lost", "Lost", 0, StageOutcome.LOST),
    )
)


def an_opportunity(pipeline: Pipeline = DEFAULT_PIPELINE, **values: object) -> Opportunity:
    fields: dict[str, object] = {
        "tenant_id": "acme",
        "customer_id": uuid4(),
        "branch_id": "north",
        "name": "Forklift fleet",
        "amount": Decimal("250000.00"),
        "currency": "EUR",
        "expected_close_date": date(2026, 6, 30),
        "owner_id": "north-rep",
        "created_by": "north-rep",
        **values,
    }
    return Opportunity.open(pipeline=pipeline, **fields)  # type: ignore[arg-type]


def recorded(opportunity: Opportunity) -> list[object]:
    return [r.event for r in opportunity.events]


def test_the_default_pipeline_runs_from_qualification_to_won_and_lost() -> None:
    assert [(s.key, s.probability) for s in DEFAULT_PIPELINE.stages] == [
        ("qualification", 10),
        ("needs_analysis", 25),
        ("proposal", 50),
        ("negotiation", 75),
        ("won", 100),
        ("lost", 0),
    ]


def test_a_new_opportunity_starts_in_the_first_open_stage_at_its_probability() -> None:
    opportunity = an_opportunity(CUSTOM)

    assert (opportunity.stage, opportunity.probability) == ("lead_in", 5)
    assert opportunity.status is OpportunityStatus.OPEN
    assert recorded(opportunity) == [events.Created(created_by="north-rep")]
    assert opportunity.version == 1


def test_moving_to_a_stage_takes_that_stages_default_probability_and_records_both() -> None:
    opportunity = an_opportunity(CUSTOM)

    opportunity.move_to("demo", CUSTOM, by="north-rep")

    assert (opportunity.stage, opportunity.probability) == ("demo", 40)
    assert recorded(opportunity)[-1] == events.StageChanged(
        old_stage="lead_in",
        new_stage="demo",
        old_probability=5,
        new_probability=40,
        changed_by="north-rep",
    )


def test_an_opportunity_may_move_back_to_an_earlier_stage() -> None:
    opportunity = an_opportunity(stage="proposal")

    opportunity.move_to("needs_analysis", DEFAULT_PIPELINE, by="north-rep")

    assert (opportunity.stage, opportunity.probability) == ("needs_analysis", 25)


def test_moving_to_the_stage_it_is_in_changes_nothing() -> None:
    opportunity = an_opportunity()

    opportunity.move_to("qualification", DEFAULT_PIPELINE, by="north-rep")

    assert opportunity.version == 1


@pytest.mark.parametrize("stage", ["won", "lost"])
def test_won_and_lost_are_reached_only_by_winning_or_losing(stage: str) -> None:
    opportunity = an_opportunity()

    with pytest.raises(DomainError, match="mark it won or lost") as refused:
        opportunity.move_to(stage, DEFAULT_PIPELINE, by="north-rep")
    assert refused.value.field == "stage"


def test_an_unknown_stage_is_refused_naming_the_field() -> None:
    with pytest.raises(DomainError) as refused:
        an_opportunity().move_to("dreaming", DEFAULT_PIPELINE, by="north-rep")
    assert refused.value.field == "stage"


def test_winning_makes_it_certain_and_records_the_move_and_the_win() -> None:
    opportunity = an_opportunity(CUSTOM, stage="contract_sent")

    opportunity.win(CUSTOM, by="north-rep", today=TODAY)

    assert (opportunity.stage, opportunity.probability) == ("closed_won", 100)
    assert (opportunity.status, opportunity.closed_on) == (OpportunityStatus.WON, TODAY)
    assert recorded(opportunity)[1:] == [
        events.StageChanged(
            old_stage="contract_sent",
            new_stage="closed_won",
            old_probability=80,
            new_probability=100,
            changed_by="north-rep",
        ),
        events.Won(won_by="north-rep"),
    ]
    # Each event is its own version: consumers see an unbroken sequence.
    assert [r.version for r in opportunity.events] == [1, 2, 3]


@pytest.mark.parametrize("reason", ["", "   "])
def test_losing_needs_a_reason(reason: str) -> None:
    opportunity = an_opportunity()

    with pytest.raises(DomainError) as refused:
        opportunity.lose(DEFAULT_PIPELINE, reason=reason, by="north-rep", today=TODAY)

    assert refused.value.field == "reason"
    assert opportunity.status is OpportunityStatus.OPEN


def test_losing_sets_probability_to_zero_and_keeps_the_reason() -> None:
    opportunity = an_opportunity()

    opportunity.lose(DEFAULT_PIPELINE, reason=" cheaper competitor ", by="north-rep", today=TODAY)

    assert (opportunity.stage, opportunity.probability) == ("lost", 0)
    assert opportunity.lost_reason == "cheaper competitor"
    assert recorded(opportunity)[-1] == events.Lost(
        reason="cheaper competitor", lost_by="north-rep"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.move_to("proposal", DEFAULT_PIPELINE, by="x"),
        lambda o: o.win(DEFAULT_PIPELINE, by="x", today=TODAY),
        lambda o: o.lose(DEFAULT_PIPELINE, reason="again", by="x", today=TODAY),
        lambda o: o.change_amount(Decimal(1), "EUR", by="x"),
        lambda o: o.change_close_date(date(2027, 1, 1), by="x"),
        lambda o: o.set_probability(50, by="x"),
    ],
)
def test_nothing_moves_out_of_won_or_lost(change) -> None:  # type: ignore[no-untyped-def]
    opportunity = an_opportunity()
    opportunity.win(DEFAULT_PIPELINE, by="north-rep", today=TODAY)

    with pytest.raises(StateConflict, match="reopens"):
        change(opportunity)


def test_only_a_manager_reopens_a_closed_opportunity() -> None:
    opportunity = an_opportunity()
    opportunity.lose(DEFAULT_PIPELINE, reason="budget", by="north-rep", today=TODAY)

    with pytest.raises(NotPermitted):
        opportunity.reopen(DEFAULT_PIPELINE, stage=None, by="north-rep", by_manager=False)

    opportunity.reopen(DEFAULT_PIPELINE, stage="negotiation", by="north-mgr", by_manager=True)
    assert (opportunity.status, opportunity.stage, opportunity.probability) == (
        OpportunityStatus.OPEN,
        "negotiation",
        75,
    )
    assert (opportunity.lost_reason, opportunity.closed_on) == (None, None)
    assert recorded(opportunity)[-2:] == [
        events.Reopened(old_stage="lost", new_stage="negotiation", reopened_by="north-mgr"),
        events.StageChanged(
            old_stage="lost",
            new_stage="negotiation",
            old_probability=0,
            new_probability=75,
            changed_by="north-mgr",
        ),
    ]


def test_an_open_opportunity_cannot_be_reopened() -> None:
    with pytest.raises(StateConflict):
        an_opportunity().reopen(DEFAULT_PIPELINE, stage=None, by="m", by_manager=True)


def test_amount_and_close_date_changes_record_old_and_new_values() -> None:
    opportunity = an_opportunity()

    opportunity.change_amount(Decimal("230000.00"), "USD", by="north-rep")
    opportunity.change_close_date(date(2026, 7, 31), by="north-rep")

    assert recorded(opportunity)[1:] == [
        events.AmountChanged(
            old_amount=Decimal("250000.00"),
            old_currency="EUR",
            new_amount=Decimal("230000.00"),
            changed_by="north-rep",
        ),
        events.CloseDateChanged(
            old_close_date=date(2026, 6, 30),
            new_close_date=date(2026, 7, 31),
            changed_by="north-rep",
        ),
    ]


def test_a_probability_set_by_hand_is_a_percentage() -> None:
    opportunity = an_opportunity()
    opportunity.set_probability(35, by="north-rep")
    assert opportunity.probability == 35

    with pytest.raises(DomainError) as refused:
        opportunity.set_probability(101, by="north-rep")
    assert refused.value.field == "probability"


@pytest.mark.parametrize(
    ("stages", "problem"),
    [
        ((Stage("a", "A", 10), Stage("won", "W", 100, StageOutcome.WON)), "exactly one"),
        (
            (
                Stage("won", "W", 100, StageOutcome.WON),
                Stage("lost", "L", 0, StageOutcome.LOST),
            ),
            "at least one open",
        ),
        (
            (
                Stage("a", "A", 10),
                Stage("a", "B", 20),
                Stage("won", "W", 100, StageOutcome.WON),
                Stage("lost", "L", 0, StageOutcome.LOST),
            ),
            "unique",
        ),
        (
            (
                Stage("a", "A", 10),
                Stage("won", "W", 90, StageOutcome.WON),
                Stage("lost", "L", 0, StageOutcome.LOST),
            ),
            "100 %",
        ),
    ],
)
def test_a_pipeline_has_open_stages_and_one_certain_won_and_lost_stage(
    stages: tuple[Stage, ...], problem: str
) -> None:
    with pytest.raises(DomainError, match=problem):
        Pipeline(stages)
