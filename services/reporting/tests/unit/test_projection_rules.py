"""The projection rules without a database: any order, any number of copies, same state."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_contracts import CloudEvent, new_event
from crm_contracts import sales as s
from crm_reporting.domain.entities import KINDS, OPPORTUNITY, PIPELINE
from crm_reporting.domain.projections import PROJECTIONS
from crm_reporting.domain.state import Deltas, Patch, State, fold


def patches_of(events: list[CloudEvent]) -> list[Patch]:
    from crm_contracts import spec_for

    found: list[Patch] = []
    for event in events:
        payload_type = spec_for(event.type).payload
        if payload_type in PROJECTIONS:
            out = PROJECTIONS[payload_type](event, payload_type.model_validate(event.data))
            found += [p for p in out if isinstance(p, Patch)]
    return found


def fold_all(patches: list[Patch]) -> dict[tuple[str, tuple[Any, ...]], State]:
    states: dict[tuple[str, tuple[Any, ...]], State] = {}
    for patch in patches:
        key = (patch.kind, patch.key)
        state = states.setdefault(key, KINDS[patch.kind].blank(patch.key))
        fold(state, patch)
    return states


def totals(states: dict[tuple[str, tuple[Any, ...]], State]) -> dict[str, Any]:
    deltas = Deltas()
    for (kind, _), state in states.items():
        deltas.move(KINDS[kind], None, state)
    return deltas.nonzero()


def test_a_history_folded_in_any_order_with_copies_gives_the_same_state(scenario):
    history = scenario("t-unit", seed=5, customers=12)
    patches = patches_of(history.events)
    expected = fold_all(patches)
    rng = random.Random(1)

    for _ in range(5):
        shuffled = patches + rng.sample(patches, len(patches) // 3)
        rng.shuffle(shuffled)
        again = fold_all(shuffled)
        assert again == expected
        assert totals(again) == totals(expected)


def _opportunity_events() -> tuple[list[CloudEvent], uuid.UUID]:
    opp, customer = uuid.uuid4(), uuid.uuid4()
    ref = {"opportunity_id": opp, "customer_id": customer}

    def event(payload: Any, sequence: int) -> CloudEvent:
        return new_event(
            payload,
            tenant="t",
            branch="north",
            partition_key=str(customer),
            subject=f"opportunity/{opp}",
            sequence=sequence,
            time=datetime(2026, 2, 1, tzinfo=UTC),
        )

    created = s.OpportunityCreatedV1(
        **ref,
        name="x",
        amount=Decimal("100.00"),
        currency="EUR",
        expected_close_date=date(2026, 3, 31),
        probability=10,
        stage="qualification",
        owner_id="north-rep",
        campaign_id=None,
        created_by="north-rep",
    )
    close_date = s.OpportunityCloseDateChangedV1(
        **ref,
        old_close_date=date(2026, 3, 31),
        new_close_date=date(2026, 5, 31),
        changed_by="north-rep",
    )
    amount = s.OpportunityAmountChangedV1(
        **ref,
        old_amount=Decimal("100.00"),
        old_currency="EUR",
        new_amount=Decimal("300.00"),
        currency="EUR",
        changed_by="north-rep",
    )
    return [event(created, 1), event(close_date, 2), event(amount, 3)], opp


def test_an_older_event_arriving_late_fills_in_what_no_newer_one_said():
    events, opp = _opportunity_events()
    created, close_date, amount = events

    state = fold_all(patches_of([amount, created, close_date]))[(OPPORTUNITY.name, ("t", opp))]

    # The amount change (3) wins over the creation's amount (1); the close date change (2)
    # still lands although the newer amount change came first.
    assert state["amount"] == Decimal("300.00")
    assert state["expected_close_date"] == date(2026, 5, 31)
    assert state["versions"]["amount"] == 3


def test_an_entity_counts_nowhere_until_its_creation_arrives():
    events, opp = _opportunity_events()
    partial = fold_all(patches_of(events[1:]))

    assert partial[(OPPORTUNITY.name, ("t", opp))]["known"] is False
    assert totals(partial) == {}


def test_a_deal_moving_to_another_close_month_moves_its_pipeline_bucket():
    events, opp = _opportunity_events()
    before = fold_all(patches_of(events[:1]))[(OPPORTUNITY.name, ("t", opp))]
    after = fold_all(patches_of(events))[(OPPORTUNITY.name, ("t", opp))]
    deltas = Deltas()

    deltas.move(OPPORTUNITY, before, after)

    moved = deltas.nonzero()[PIPELINE.name]
    march = ("t", "north", "north-rep", date(2026, 3, 1), "qualification", "EUR")
    may = ("t", "north", "north-rep", date(2026, 5, 1), "qualification", "EUR")
    assert moved == {
        march: [-1, Decimal("-100.00"), Decimal("-10.00")],
        may: [1, Decimal("300.00"), Decimal("30.00")],
    }


def test_every_event_type_of_every_service_the_reports_need_is_projected():
    from crm_contracts import all_specs

    projected = {spec.type for spec in all_specs() if spec.payload in PROJECTIONS}
    needed = {
        "crm.customers.customer.created.v1",
        "crm.customers.customer.lifecycle_changed.v1",
        "crm.customers.customer.owner_changed.v1",
        "crm.customers.interaction.logged.v1",
        "crm.sales.opportunity.stage_changed.v1",
        "crm.sales.opportunity.won.v1",
        "crm.sales.order.confirmed.v1",
        "crm.sales.expense.recorded.v1",
        "crm.sales.task.overdue.v1",
        "crm.sales.campaign.response_recorded.v1",
        "crm.service-desk.ticket.opened.v1",
        "crm.service-desk.survey.answered.v1",
        "crm.notifications.email.sent.v1",
    }
    assert needed <= projected
    kinds = Counter(spec.type.split(".")[1] for spec in all_specs() if spec.payload in PROJECTIONS)
    assert set(kinds) == {"customers", "sales", "service-desk", "notifications"}
