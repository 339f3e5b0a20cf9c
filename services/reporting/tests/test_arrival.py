"""Facts that arrive before the facts they relate to, in other currencies, or broken."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from crm_contracts import SALES_EVENTS, CloudEvent, dlq_topic, new_event
from crm_contracts import customers as c
from crm_contracts import sales as s
from servicekit.testing import read_events


def event(
    payload: Any, tenant: str, customer: uuid.UUID, subject: str, seq: int, branch: str | None
) -> CloudEvent:
    return new_event(
        payload,
        tenant=tenant,
        branch=branch,
        partition_key=str(customer),
        subject=subject,
        sequence=seq,
        time=datetime(2026, 4, 2, 10, tzinfo=UTC),
    )


def won_deal(
    tenant: str, customer: uuid.UUID, amount: str, currency: str = "EUR", branch: str = "north"
) -> list[CloudEvent]:
    opp = uuid.uuid4()
    ref = {"opportunity_id": opp, "customer_id": customer}
    subject = f"opportunity/{opp}"
    created = s.OpportunityCreatedV1(
        **ref,
        name="Deal",
        amount=Decimal(amount),
        currency=currency,
        expected_close_date=date(2026, 4, 30),
        probability=75,
        stage="negotiation",
        owner_id="north-rep",
        campaign_id=None,
        created_by="north-rep",
    )
    moved = s.OpportunityStageChangedV1(
        **ref,
        old_stage="negotiation",
        new_stage="won",
        old_probability=75,
        new_probability=100,
        amount=Decimal(amount),
        currency=currency,
        expected_close_date=date(2026, 4, 30),
        owner_id="north-rep",
        changed_by="north-rep",
    )
    won = s.OpportunityWonV1(
        **ref,
        amount=Decimal(amount),
        currency=currency,
        owner_id="north-rep",
        campaign_id=None,
        closed_on=date(2026, 4, 2),
        won_by="north-rep",
    )
    return [
        event(created, tenant, customer, subject, 1, branch),
        event(moved, tenant, customer, subject, 2, branch),
        event(won, tenant, customer, subject, 3, branch),
    ]


def customer_created(tenant: str, customer: uuid.UUID, owner: str, branch: str) -> CloudEvent:
    payload = c.CustomerCreatedV1(
        customer_id=customer,
        name="Late Arrival Ltd",
        kind="company",
        lifecycle_stage=c.LifecycleStage.PROSPECT,
        owner_id=owner,
        created_by=owner,
    )
    return event(payload, tenant, customer, f"customer/{customer}", 1, branch)


async def test_a_deal_won_before_its_customer_exists_counts_once_the_customer_arrives(
    reporting, feed, auth, tenant
):
    customer = uuid.uuid4()
    await feed(won_deal(tenant, customer, "4200.00"))

    by_manager = (await reporting.get("/reports/profitability", headers=auth("north-mgr"))).json()
    by_rep = (await reporting.get("/reports/profitability", headers=auth("north-rep"))).json()

    # Known through the sales event only: in its branch, nobody's yet.
    assert [(r["customer_id"], r["branch_id"], r["owner_id"]) for r in by_manager["items"]] == [
        (str(customer), "north", None)
    ]
    assert by_rep["items"] == []

    await feed([customer_created(tenant, customer, "north-rep", "north")])

    by_rep = (await reporting.get("/reports/profitability", headers=auth("north-rep"))).json()
    assert [(r["customer_id"], r["revenue"]) for r in by_rep["items"]] == [
        (str(customer), "4200.00")
    ]
    pyramid = (await reporting.get("/reports/value-pyramid", headers=auth("north-rep"))).json()
    assert (pyramid["customers"], pyramid["revenue"]) == (1, "4200.00")


async def test_amounts_in_different_currencies_are_never_added_together(
    reporting, feed, auth, tenant
):
    customer = uuid.uuid4()
    await feed(
        [
            *won_deal(tenant, customer, "1000.00", "EUR"),
            *won_deal(tenant, customer, "700.00", "USD"),
            *won_deal(tenant, customer, "300.00", "EUR"),
        ]
    )

    sales = (
        await reporting.get("/reports/sales", params={"group_by": ""}, headers=auth("admin"))
    ).json()
    pyramid_usd = (
        await reporting.get("/reports/value-pyramid", params={"currency": "USD"}, headers=auth())
    ).json()

    assert {r["currency"]: r["amount"] for r in sales["items"]} == {
        "EUR": "1300.00",
        "USD": "700.00",
    }
    assert pyramid_usd["revenue"] == "700.00"


async def test_a_customer_moving_to_another_branch_takes_its_numbers_along(
    reporting, feed, auth, tenant
):
    customer = uuid.uuid4()
    moved = c.CustomerOwnerChangedV1(
        customer_id=customer,
        old_owner_id="north-rep",
        new_owner_id="south-rep",
        old_branch_id="north",
        new_branch_id="south",
        reason=c.OwnerChangeReason.ASSIGNED,
        changed_by="admin",
    )
    # The move first, then the creation it follows: the result is the same.
    await feed(
        [
            event(moved, tenant, customer, f"customer/{customer}", 2, "south"),
            customer_created(tenant, customer, "north-rep", "north"),
        ]
    )

    north = (await reporting.get("/reports/customers/summary", headers=auth("north-mgr"))).json()
    south = (await reporting.get("/reports/customers/summary", headers=auth("south-rep"))).json()

    assert north["total"] == 0
    assert south["items"] == [{"branch_id": "south", "lifecycle_stage": "prospect", "customers": 1}]


async def test_an_event_that_cannot_be_applied_is_dead_lettered_and_the_rest_applied(
    reporting, feed, producer, reporting_broker, auth, tenant
):
    customer = uuid.uuid4()
    good = won_deal(tenant, customer, "900.00")
    broken = good[0].model_copy(update={"id": uuid.uuid4(), "data": {"customer_id": "nope"}})
    await producer.send_and_wait(SALES_EVENTS, broken.to_json_bytes(), key=str(customer).encode())
    await feed(good)

    sales = (await reporting.get("/reports/sales", params={"group_by": ""}, headers=auth())).json()
    dead = await read_events(
        reporting_broker.bootstrap,
        dlq_topic(SALES_EVENTS),
        where=lambda e: e.id == broken.id,
        timeout_s=10,
    )

    assert [r["amount"] for r in sales["items"]] == ["900.00"]
    assert len(dead) == 1
