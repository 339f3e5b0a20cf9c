"""Every report against numbers the test computes itself from the same generated history.

The history goes through the broker shuffled (one service's events before another's, an
entity's own events out of order) and with some events twice.
"""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

CHAIN = ["qualification", "needs_analysis", "proposal", "negotiation", "won"]


def month(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1).isoformat()


def tier_of(rank: int, count: int) -> str:
    if rank * 100 < count:
        return "vip"
    if rank * 100 < count * 5:
        return "large"
    if rank * 100 < count * 20:
        return "medium"
    return "small"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def story(scenario, feed) -> Any:
    """One company's half year, applied by the reporting service."""
    history = scenario(f"t-{uuid.uuid4().hex[:12]}", seed=11, customers=40)
    await feed(history.shuffled_with_duplicates())
    return history


@pytest.fixture
def read(reporting, tokens, story):
    async def get(path: str, user: str = "admin", **params: Any) -> Any:
        response = await reporting.get(path, params=params, headers=tokens(story.tenant, user))
        assert response.status_code == 200, response.text
        return response.json()

    return get


def live(story: Any) -> list[Any]:
    return [c for c in story.customers if not c.deleted]


async def test_the_funnel_counts_the_stages_each_deal_entered_and_where_it_sits_now(story, read):
    entered: Counter[str] = Counter()
    entered_amount: dict[str, Decimal] = defaultdict(Decimal)
    now: Counter[str] = Counter()
    for opp in story.opportunities:
        for stage in opp.entered:
            entered[stage] += 1
            entered_amount[stage] += opp.amount
        now[opp.stage] += 1

    rows = {r["stage"]: r for r in (await read("/reports/funnel"))["items"]}

    assert {k: r["entered"] for k, r in rows.items()} == dict(entered)
    assert {k: Decimal(r["entered_amount"]) for k, r in rows.items()} == dict(entered_amount)
    assert {k: r["in_stage"] for k, r in rows.items() if r["in_stage"]} == dict(now)
    for this, following in itertools.pairwise(CHAIN):
        assert rows[this]["conversion_to_next"] == pytest.approx(entered[following] / entered[this])
    assert rows["lost"]["conversion_to_next"] is None


async def test_the_pipeline_sums_open_deals_and_their_weighted_forecast_by_rep_and_month(
    story, read
):
    expected: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for opp in story.opportunities:
        if opp.status == "open":
            row = expected[(opp.owner, month(opp.close_date))]
            row[0] += 1
            row[1] += opp.amount
            row[2] += opp.amount * opp.probability / 100

    report = await read("/reports/pipeline", group_by="owner,month")

    found = {
        (r["owner_id"], r["month"]): [
            r["opportunities"],
            Decimal(r["amount"]),
            Decimal(r["weighted"]),
        ]
        for r in report["items"]
    }
    assert found == dict(expected)
    assert {r["currency"] for r in report["items"]} == {"EUR"}


async def test_win_rate_and_the_sales_cycle_follow_the_closed_deals(story, read):
    won: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    days: Counter[str] = Counter()
    for opp in story.opportunities:
        if opp.status == "won":
            won[opp.owner] += 1
            days[opp.owner] += (opp.closed_on - opp.created_at.astimezone(UTC).date()).days
        elif opp.status == "lost":
            lost[opp.owner] += 1

    rows = {r["owner_id"]: r for r in (await read("/reports/win-rate"))["items"]}

    assert set(rows) == set(won) | set(lost)
    for owner, row in rows.items():
        assert (row["won"], row["lost"]) == (won[owner], lost[owner])
        assert row["win_rate"] == pytest.approx(won[owner] / (won[owner] + lost[owner]))
        if won[owner]:
            assert row["average_cycle_days"] == pytest.approx(days[owner] / won[owner])


async def test_sales_add_up_the_won_deals_by_month_and_by_branch(story, read):
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    by_branch: dict[str, Decimal] = defaultdict(Decimal)
    for opp in story.opportunities:
        if opp.status == "won":
            by_month[month(opp.closed_on)] += opp.amount
            by_branch[opp.branch] += opp.amount

    months = await read("/reports/sales", group_by="month")
    branches = await read("/reports/sales", group_by="branch")

    assert {r["month"]: Decimal(r["amount"]) for r in months["items"]} == dict(by_month)
    assert {r["branch_id"]: Decimal(r["amount"]) for r in branches["items"]} == dict(by_branch)


async def test_product_sales_count_confirmed_order_lines_and_not_cancelled_orders(story, read):
    expected: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for order in story.orders:
        if not order.cancelled:
            for line in order.lines:
                row = expected[str(line.product)]
                row[0] += 1
                row[1] += line.quantity
                row[2] += line.net

    report = await read("/reports/sales/products")

    found = {
        r["product_id"]: [r["lines"], Decimal(r["quantity"]), Decimal(r["net_amount"])]
        for r in report["items"]
    }
    assert found == dict(expected)
    names = {r["product_id"]: r["name"] for r in report["items"]}
    assert all(names[str(p)] == story.names[p] for p in story.products if str(p) in names)


async def test_quotes_count_where_each_quote_stands_now_per_rep(story, read):
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for quote in story.quotes:
        row = expected[quote.owner]
        row["quotes"] += 1
        row[quote.status] += 1
        row["loss_alarms"] += quote.loss_alarm
        totals[quote.owner] += quote.total

    rows = {r["owner_id"]: r for r in (await read("/reports/quotes"))["items"]}

    assert set(rows) == set(expected)
    for owner, counts in expected.items():
        row = rows[owner]
        for field in ("quotes", "draft", "sent", "accepted", "rejected", "loss_alarms"):
            assert row[field] == counts[field], (owner, field)
        assert Decimal(row["total"]) == totals[owner]
        decided = counts["accepted"] + counts["rejected"]
        assert row["acceptance_rate"] == (
            pytest.approx(counts["accepted"] / decided) if decided else None
        )


async def test_contracts_show_renewals_per_month_they_end(story, read):
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for contract in story.contracts:
        row = expected[month(contract.end_date)]
        row["contracts"] += 1
        row[contract.status] += 1

    rows = {r["month"]: r for r in (await read("/reports/contracts"))["items"]}

    assert set(rows) == set(expected)
    for when, counts in expected.items():
        for field in ("contracts", "active", "expiring", "renewed", "not_renewed"):
            assert rows[when][field] == counts[field], (when, field)


async def test_growth_counts_new_converted_churned_and_lost_customers_per_month(story, read):
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for customer in live(story):
        expected[month(customer.created_at)]["created"] += 1
        if customer.became_customer_at is not None:
            expected[month(customer.became_customer_at)]["converted"] += 1
        if customer.stage in ("churned", "lost"):
            expected[month(customer.left_at)][customer.stage] += 1

    report = await read("/reports/customers/growth")

    found = {
        r["month"]: Counter({k: r[k] for k in ("created", "converted", "churned", "lost") if r[k]})
        for r in report["items"]
    }
    assert found == dict(expected)
    assert all(r["net"] == r["converted"] - r["churned"] for r in report["items"])


async def test_churn_reasons_are_counted_per_reason(story, read):
    expected = Counter((c.stage, c.reason) for c in live(story) if c.stage in ("churned", "lost"))

    report = await read("/reports/customers/churn-reasons")

    assert {(r["kind"], r["reason"]): r["customers"] for r in report["items"]} == dict(expected)


def expected_pyramid(story: Any, wanted: Any = lambda opp: True) -> tuple[dict[str, Any], Any]:
    """Tiers (customers, revenue) of the live customers ranked by their won deals' revenue."""
    revenue: dict[uuid.UUID, Decimal] = {c.id: Decimal(0) for c in live(story)}
    for opp in story.opportunities:
        if opp.status == "won" and opp.customer.id in revenue and wanted(opp):
            revenue[opp.customer.id] += opp.amount
    ranked = sorted(revenue.items(), key=lambda kv: (-kv[1], kv[0]))
    tiers: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for rank, (_, amount) in enumerate(ranked):
        tier = tiers[tier_of(rank, len(ranked))]
        tier[0] += 1
        tier[1] += amount
    return dict(tiers), sum(revenue.values(), Decimal(0))


def assert_pyramid(report: dict[str, Any], tiers: dict[str, Any], total: Decimal) -> None:
    assert report["currency"] == "EUR"
    assert report["customers"] == sum(count for count, _ in tiers.values())
    assert Decimal(report["revenue"]) == total
    found = {
        r["tier"]: [r["customers"], Decimal(r["revenue"])]
        for r in report["items"]
        if r["customers"]
    }
    assert found == tiers
    top = total - tiers["small"][1]
    assert report["top_20_percent_revenue_share"] == pytest.approx(float(top / total))
    shares = [r["revenue_share"] for r in report["items"]]
    assert sum(shares) == pytest.approx(1.0)


async def test_the_value_pyramid_ranks_customers_by_revenue_into_tiers(story, read):
    tiers, total = expected_pyramid(story)

    report = await read("/reports/value-pyramid")

    assert_pyramid(report, tiers, total)


async def test_the_value_pyramid_of_a_period_ranks_by_the_deals_closed_in_it(story, read):
    tiers, total = expected_pyramid(
        story, lambda opp: "2026-02-01" <= month(opp.closed_on) <= "2026-04-01"
    )

    report = await read("/reports/value-pyramid", **{"from": "2026-02", "to": "2026-04"})

    assert_pyramid(report, tiers, total)


async def test_profitability_is_revenue_minus_approved_expenses_per_customer(story, read):
    alive = {c.id for c in live(story)}
    money: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for opp in story.opportunities:
        if opp.status == "won" and opp.customer.id in alive:
            money[str(opp.customer.id)][0] += opp.amount
    for expense in story.expenses:
        if expense.status == "approved" and expense.customer.id in alive:
            money[str(expense.customer.id)][1] += expense.amount

    report = await read("/reports/profitability", limit=200)

    found = {
        r["customer_id"]: [Decimal(r["revenue"]), Decimal(r["expenses"])] for r in report["items"]
    }
    assert found == dict(money)
    assert report["total"] == len(money)
    profits = [Decimal(r["profit"]) for r in report["items"]]
    assert profits == sorted(profits, reverse=True)
    assert all(
        Decimal(r["profit"]) == Decimal(r["revenue"]) - Decimal(r["expenses"])
        for r in report["items"]
    )


async def test_profitability_of_a_period_pages_through_the_money_of_that_period(story, read):
    def inside(day: date) -> bool:
        return "2026-02-01" <= month(day) <= "2026-04-01"

    alive = {c.id for c in live(story)}
    money: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for opp in story.opportunities:
        if opp.status == "won" and opp.customer.id in alive and inside(opp.closed_on):
            money[str(opp.customer.id)][0] += opp.amount
    for expense in story.expenses:
        if expense.status == "approved" and expense.customer.id in alive:
            money[str(expense.customer.id)][1] += expense.amount * inside(expense.incurred_on)
    money = {k: v for k, v in money.items() if any(v)}
    by_revenue = sorted(money.items(), key=lambda kv: (-kv[1][0], kv[0]))
    period = {"from": "2026-02", "to": "2026-04"}

    page = await read("/reports/profitability", limit=5, offset=3, sort="-revenue", **period)

    assert page["total"] == len(money)
    assert [
        (r["customer_id"], [Decimal(r["revenue"]), Decimal(r["expenses"])]) for r in page["items"]
    ] == by_revenue[3:8]


async def test_a_bad_profitability_sort_is_refused_with_the_field_named(story, reporting, tokens):
    response = await reporting.get(
        "/reports/profitability", params={"sort": "colour"}, headers=tokens(story.tenant, "admin")
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sort"


async def test_rep_activity_counts_interactions_tasks_and_completeness_per_rep(story, read):
    expected: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for interaction in story.interactions:
        expected[(interaction.branch, interaction.author)]["interactions"] += 1
    for task in story.tasks:
        row = expected[(task.branch, task.assignee)]
        row["tasks_planned"] += 1
        if task.completed_at is not None:
            row["tasks_done"] += 1
            row["tasks_done_late"] += task.completed_at > task.due_at
        elif task.overdue:
            row["tasks_overdue"] += 1
    filled: Counter[tuple[str, str]] = Counter()
    stated: Counter[tuple[str, str]] = Counter()  # fields the events stated, filled or not
    for customer in live(story):
        if customer.owner is not None:
            expected[(customer.branch, customer.owner)]["customers"] += 1
            filled[(customer.branch, customer.owner)] += sum(customer.filled.values())
            stated[(customer.branch, customer.owner)] += len(customer.filled)

    report = await read("/reports/rep-activity")

    measures = (
        "interactions",
        "tasks_planned",
        "tasks_done",
        "tasks_done_late",
        "tasks_overdue",
        "customers",
    )
    found = {
        (r["branch_id"], r["owner_id"]): Counter({m: r[m] for m in measures if r[m]})
        for r in report["items"]
    }
    assert found == {k: Counter({m: v for m, v in c.items() if v}) for k, c in expected.items()}
    for r in report["items"]:
        key = (r["branch_id"], r["owner_id"])
        if r["customers"]:
            assert r["completeness"] == pytest.approx(filled[key] / stated[key])


async def test_service_kpis_follow_the_tickets_and_their_surveys(story, read):
    by_priority: dict[str, list[Any]] = defaultdict(list)
    for ticket in story.tickets:
        by_priority[ticket.priority].append(ticket)

    rows = {
        r["priority"]: r for r in (await read("/reports/service", group_by="priority"))["items"]
    }

    assert set(rows) == set(by_priority)
    for priority, tickets in by_priority.items():
        row = rows[priority]
        responded = [t for t in tickets if t.first_response_at]
        resolved = [t for t in tickets if t.resolved_at]
        scores = [s for t in tickets for s in t.scores]
        breached = [t for t in tickets if t.breached_first or t.breached_resolution]
        assert row["tickets"] == len(tickets)
        assert row["responded"] == len(responded)
        assert row["resolved"] == len(resolved)
        assert row["sla_compliance"] == pytest.approx(1 - len(breached) / len(tickets))
        assert row["first_response_compliance"] == pytest.approx(
            1 - sum(t.breached_first for t in tickets) / len(tickets)
        )
        if responded:
            minutes = [(t.first_response_at - t.opened_at).total_seconds() / 60 for t in responded]
            assert row["average_first_response_minutes"] == pytest.approx(
                sum(minutes) / len(minutes)
            )
        if resolved:
            minutes = [(t.resolved_at - t.opened_at).total_seconds() / 60 for t in resolved]
            assert row["average_resolution_minutes"] == pytest.approx(sum(minutes) / len(minutes))
        assert row["csat_answers"] == len(scores)
        if scores:
            assert row["csat_average"] == pytest.approx(sum(scores) / len(scores))


async def test_campaigns_show_responses_opportunities_and_revenue_against_budget(story, read):
    rows = {r["campaign_id"]: r for r in (await read("/reports/campaigns"))["items"]}

    assert set(rows) == {str(c.id) for c in story.campaigns}
    for campaign in story.campaigns:
        row = rows[str(campaign.id)]
        attributed = [o for o in story.opportunities if o.campaign == campaign.id]
        won = [o for o in attributed if o.status == "won"]
        won_amount = sum((o.amount for o in won), Decimal(0))
        responders = sum(len(contacts) for contacts in campaign.responders.values())
        assert Decimal(row["budget"]) == campaign.budget
        assert row["name"] == campaign.name
        assert row["mails_sent"] == campaign.mails_sent
        assert row["responses"] == responders
        for kind in ("opened", "replied", "interested"):
            assert row[kind] == len(campaign.responders.get(kind, ()))
        assert (row["opportunities"], row["won"]) == (len(attributed), len(won))
        assert Decimal(row["won_amount"]) == won_amount
        assert row["return_on_budget"] == pytest.approx(
            float((won_amount - campaign.budget) / campaign.budget)
        )


REPORTS = [
    ("/reports/customers/summary", {}),
    ("/reports/customers/growth", {"group_by": "branch,owner,month"}),
    ("/reports/customers/churn-reasons", {}),
    ("/reports/funnel", {}),
    ("/reports/pipeline", {"group_by": "branch,owner,month,stage"}),
    ("/reports/win-rate", {"group_by": "branch,owner"}),
    ("/reports/sales", {"group_by": "branch,owner,month"}),
    ("/reports/sales/products", {"group_by": "branch,owner"}),
    ("/reports/value-pyramid", {}),
    ("/reports/profitability", {"limit": 200}),
    ("/reports/rep-activity", {}),
    ("/reports/service", {"group_by": "branch,owner,priority"}),
    ("/reports/campaigns", {}),
    ("/reports/quotes", {"group_by": "branch,owner,month"}),
    ("/reports/contracts", {"group_by": "branch,owner,month"}),
]


async def test_every_report_comes_as_csv_with_the_same_rows(story, reporting, tokens, read):
    headers = {**tokens(story.tenant, "admin"), "Accept": "text/csv"}
    for path, params in REPORTS:
        response = await reporting.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len((await read(path, **params))["items"]), path


async def test_a_south_rep_sees_no_north_numbers_in_any_report(story, read):
    for path, params in REPORTS:
        report = await read(path, user="south-rep", **params)
        for row in report["items"]:
            assert row.get("branch_id") in (None, "south"), (path, row)
            assert row.get("owner_id") in (None, "south-rep"), (path, row)

    mine = [o for o in story.opportunities if o.owner == "south-rep" and o.status == "open"]
    pipeline = await read("/reports/pipeline", user="south-rep", group_by="")
    assert sum(r["opportunities"] for r in pipeline["items"]) == len(mine)
    assert sum(Decimal(r["amount"]) for r in pipeline["items"]) == sum(
        (o.amount for o in mine), Decimal(0)
    )
    owned = [c for c in live(story) if c.owner == "south-rep"]
    pyramid = await read("/reports/value-pyramid", user="south-rep")
    assert pyramid["customers"] == len(owned)
    # Revenue follows the customer's owner now (some changed hands after their deals).
    owned_ids = {c.id for c in owned}
    won = [o for o in story.opportunities if o.status == "won" and o.customer.id in owned_ids]
    assert Decimal(pyramid["revenue"]) == sum((o.amount for o in won), Decimal(0))
    profitability = await read("/reports/profitability", user="south-rep", limit=200)
    assert {r["customer_id"] for r in profitability["items"]} <= {str(i) for i in owned_ids}
    north_only = await read("/reports/pipeline", user="south-rep", branch="north")
    assert north_only["items"] == []


async def test_a_branch_manager_sees_the_whole_branch_and_nothing_else(story, read):
    mine = [o for o in story.opportunities if o.branch == "north" and o.status == "open"]

    pipeline = await read("/reports/pipeline", user="north-mgr", group_by="branch")

    assert [r["branch_id"] for r in pipeline["items"]] == ["north"]
    assert pipeline["items"][0]["opportunities"] == len(mine)
    summary = await read("/reports/customers/summary", user="north-mgr")
    assert summary["total"] == sum(1 for c in live(story) if c.branch == "north")


async def test_reports_filter_by_branch_owner_and_period(story, read):
    def wanted(opp: Any) -> bool:
        return (
            opp.status == "open"
            and opp.branch == "north"
            and opp.owner == "north-rep"
            and "2026-03-01" <= month(opp.close_date) <= "2026-05-01"
        )

    report = await read(
        "/reports/pipeline",
        branch="north",
        owner="north-rep",
        group_by="",
        **{"from": "2026-03", "to": "2026-05"},
    )

    expected = [o for o in story.opportunities if wanted(o)]
    assert sum(r["opportunities"] for r in report["items"]) == len(expected)
    assert sum(Decimal(r["amount"]) for r in report["items"]) == sum(
        (o.amount for o in expected), Decimal(0)
    )


async def test_a_bad_filter_is_refused_with_the_field_named(story, reporting, tokens):
    headers = tokens(story.tenant, "admin")
    bad_month = await reporting.get(
        "/reports/pipeline", params={"from": "2026-13"}, headers=headers
    )
    bad_group = await reporting.get(
        "/reports/pipeline", params={"group_by": "colour"}, headers=headers
    )
    year_zero = await reporting.get("/reports/funnel", params={"to": "0000-01"}, headers=headers)
    backwards = await reporting.get(
        "/reports/sales", params={"from": "2026-05", "to": "2026-01"}, headers=headers
    )

    assert bad_month.status_code == 422
    assert year_zero.status_code == 422
    assert year_zero.json()["errors"][0]["field"] == "to"
    assert bad_group.status_code == 422
    assert bad_group.json()["errors"][0]["field"] == "group_by"
    assert backwards.status_code == 422


async def test_a_portal_contact_reads_no_reports(story, reporting, infra):
    token = infra.token("portal-li-wei", tenant=story.tenant, roles=["portal"])

    response = await reporting.get(
        "/reports/pipeline", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 403
