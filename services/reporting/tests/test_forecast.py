"""Forecast snapshots: what meets the quality bar is kept, and compared later with a second
snapshot and with what closed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_contracts import CloudEvent, new_event
from crm_contracts import sales as s
from pydantic import BaseModel

PROBABILITY = {"qualification": 10, "needs_analysis": 25, "proposal": 50, "negotiation": 75}


@dataclass
class Deal:
    """An opportunity as the test drives it, and the events it published."""

    tenant: str
    owner: str
    branch: str
    stage: str
    amount: Decimal
    close: date
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    customer: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 0
    status: str = "open"

    def _event(self, payload: BaseModel) -> CloudEvent:
        self.version += 1
        return new_event(
            payload,
            tenant=self.tenant,
            branch=self.branch,
            partition_key=str(self.customer),
            subject=f"opportunity/{self.id}",
            sequence=self.version,
            time=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=self.version),
        )

    @property
    def ref(self) -> dict[str, Any]:
        return {"opportunity_id": self.id, "customer_id": self.customer}

    def created(self) -> CloudEvent:
        return self._event(
            s.OpportunityCreatedV1(
                **self.ref,
                name="Deal",
                amount=self.amount,
                currency="EUR",
                expected_close_date=self.close,
                probability=PROBABILITY[self.stage],
                stage=self.stage,
                owner_id=self.owner,
                campaign_id=None,
                created_by=self.owner,
            )
        )

    def moved(self, stage: str) -> CloudEvent:
        old, self.stage = self.stage, stage
        return self._event(
            s.OpportunityStageChangedV1(
                **self.ref,
                old_stage=old,
                new_stage=stage,
                old_probability=PROBABILITY.get(old, 0),
                new_probability=PROBABILITY.get(stage, 100 if stage == "won" else 0),
                amount=self.amount,
                currency="EUR",
                expected_close_date=self.close,
                owner_id=self.owner,
                changed_by=self.owner,
            )
        )

    def won(self) -> list[CloudEvent]:
        moved = self.moved("won")
        self.status = "won"
        return [
            moved,
            self._event(
                s.OpportunityWonV1(
                    **self.ref,
                    amount=self.amount,
                    currency="EUR",
                    owner_id=self.owner,
                    campaign_id=None,
                    closed_on=date(2026, 4, 2),
                    won_by=self.owner,
                )
            ),
        ]

    def lost(self) -> list[CloudEvent]:
        moved = self.moved("lost")
        self.status = "lost"
        return [
            moved,
            self._event(
                s.OpportunityLostV1(
                    **self.ref,
                    reason="price",
                    amount=self.amount,
                    currency="EUR",
                    owner_id=self.owner,
                    closed_on=date(2026, 4, 2),
                    lost_by=self.owner,
                )
            ),
        ]

    def slipped(self, days: int) -> CloudEvent:
        old, self.close = self.close, self.close + timedelta(days=days)
        return self._event(
            s.OpportunityCloseDateChangedV1(
                **self.ref, old_close_date=old, new_close_date=self.close, changed_by=self.owner
            )
        )

    def repriced(self, amount: Decimal) -> CloudEvent:
        old, self.amount = self.amount, amount
        return self._event(
            s.OpportunityAmountChangedV1(
                **self.ref,
                old_amount=old,
                old_currency="EUR",
                new_amount=amount,
                currency="EUR",
                changed_by=self.owner,
            )
        )

    @property
    def weighted(self) -> Decimal:
        return self.amount * PROBABILITY.get(self.stage, 0) / 100


def deals(tenant: str) -> list[Deal]:
    april, may = date(2026, 4, 20), date(2026, 5, 10)
    return [
        Deal(tenant, "north-rep", "north", "proposal", Decimal("10000.00"), april),
        Deal(tenant, "north-rep", "north", "negotiation", Decimal("20000.00"), april),
        Deal(tenant, "north-rep", "north", "qualification", Decimal("5000.00"), april),
        Deal(tenant, "north-rep2", "north", "negotiation", Decimal("8000.00"), may),
        Deal(tenant, "south-rep", "south", "proposal", Decimal("30000.00"), may),
        Deal(tenant, "south-rep", "south", "needs_analysis", Decimal("7000.00"), may),
    ]


async def test_a_snapshot_keeps_the_deals_at_or_past_the_minimum_stage(
    reporting, feed, auth, tenant
):
    book = deals(tenant)
    await feed([d.created() for d in book])
    policy = await reporting.put(
        "/settings/forecast", json={"min_stage": "proposal"}, headers=auth("admin")
    )
    assert policy.status_code == 200, policy.text

    taken = await reporting.post("/snapshots", headers=auth("north-mgr"))

    assert taken.status_code == 201, taken.text
    kept = [d for d in book if d.stage in ("proposal", "negotiation")]
    assert taken.json()["opportunities"] == len(kept)
    assert taken.json()["min_stage"] == "proposal"


async def test_forecast_accuracy_compares_a_snapshot_with_a_later_one_and_with_what_closed(
    reporting, feed, auth, tenant
):
    book = deals(tenant)
    await feed([d.created() for d in book])
    await reporting.put("/settings/forecast", json={"min_stage": "proposal"}, headers=auth("admin"))
    first = (await reporting.post("/snapshots", headers=auth("admin"))).json()
    before = {
        d.id: (d.owner, d.amount, d.weighted, d.close)
        for d in book
        if d.weighted and d.stage in ("proposal", "negotiation")
    }

    won_deal, lost_deal, slipping, repricing, rising = book[0], book[3], book[4], book[1], book[2]
    later_events = [
        *won_deal.won(),
        *lost_deal.lost(),
        slipping.slipped(60),
        repricing.repriced(Decimal("24000.00")),
        rising.moved("proposal"),
    ]
    await feed(later_events)
    second = (await reporting.post("/snapshots", headers=auth("admin"))).json()

    response = await reporting.get(
        "/reports/forecast-accuracy",
        params={"snapshot": first["snapshot_id"], "group_by": "owner"},
        headers=auth("ceo"),
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["compared_to"]["snapshot_id"] == second["snapshot_id"]
    rows = {r["owner_id"]: r for r in report["items"]}
    later = [d for d in book if d.status == "open" and d.stage in ("proposal", "negotiation")]
    for owner in {"north-rep", "north-rep2", "south-rep"}:
        mine = {i: v for i, v in before.items() if v[0] == owner}
        row = rows[owner]
        assert row["forecast_opportunities"] == len(mine)
        assert Decimal(row["forecast_amount"]) == sum((v[1] for v in mine.values()), Decimal(0))
        assert Decimal(row["forecast_weighted"]) == sum((v[2] for v in mine.values()), Decimal(0))
        now_mine = [d for d in later if d.owner == owner]
        assert row["later_opportunities"] == len(now_mine)
        assert Decimal(row["later_amount"]) == sum((d.amount for d in now_mine), Decimal(0))
        won = [d for d in book if d.id in mine and d.status == "won"]
        assert row["won"] == len(won)
        assert Decimal(row["won_amount"]) == sum((d.amount for d in won), Decimal(0))
        assert row["lost"] == sum(1 for d in book if d.id in mine and d.status == "lost")
        slipped = [
            d
            for d in book
            if d.id in mine and d.status == "open" and d.close.month > mine[d.id][3].month
        ]
        assert row["slipped"] == len(slipped)
    assert rows["north-rep"]["accuracy"] == float(
        Decimal(rows["north-rep"]["won_amount"]) / Decimal(rows["north-rep"]["forecast_weighted"])
    )


async def test_a_rep_sees_only_their_own_forecast_lines(reporting, feed, auth, tenant):
    book = deals(tenant)
    await feed([d.created() for d in book])
    first = (await reporting.post("/snapshots", headers=auth("admin"))).json()

    response = await reporting.get(
        "/reports/forecast-accuracy",
        params={"snapshot": first["snapshot_id"], "group_by": "owner,branch"},
        headers=auth("south-rep"),
    )

    rows = response.json()["items"]
    assert {(r["owner_id"], r["branch_id"]) for r in rows} == {("south-rep", "south")}
    assert rows[0]["forecast_opportunities"] == sum(1 for d in book if d.owner == "south-rep")


async def test_the_scheduled_snapshot_is_taken_once_a_day_per_tenant(
    reporting, reporting_app, feed, auth, tenant
):
    await feed([d.created() for d in deals(tenant)])
    runtime = reporting_app.state.runtime
    job = next(j for j in runtime.definition.jobs if j.name == "reporting-forecast-snapshots")
    day = datetime(2031, 1, 5, 6, tzinfo=UTC)

    await runtime.scheduler.run_once(job, now=day)
    await runtime.scheduler.run_once(job, now=day + timedelta(hours=3))
    await runtime.scheduler.run_once(job, now=day + timedelta(days=1))

    listed = (await reporting.get("/snapshots", headers=auth("admin"))).json()["items"]
    assert sorted(i["scheduled_for"] for i in listed) == ["2031-01-05", "2031-01-06"]
    assert all(i["taken_by"] == "system" for i in listed)


async def test_a_quality_bar_must_name_an_open_stage(reporting, auth):
    response = await reporting.put(
        "/settings/forecast", json={"min_stage": "won"}, headers=auth("admin")
    )
    assert response.status_code == 422
    refused = await reporting.put(
        "/settings/forecast", json={"min_stage": "proposal"}, headers=auth("north-rep")
    )
    assert refused.status_code == 403
