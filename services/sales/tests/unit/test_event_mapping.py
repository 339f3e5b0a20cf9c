"""Every domain event becomes a valid contract on the wire, keyed by its customer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from crm_contracts import all_specs
from crm_contracts.sales import (
    CampaignChannel,
    CampaignResponseKind,
    ExpenseCategory,
    OpportunityOwnerChangeReason,
    TaskMethod,
)
from crm_sales.adapters.event_mapping import PAYLOADS, to_cloud_event
from crm_sales.domain.base import Aggregate, CustomerRecord
from crm_sales.domain.campaigns import Campaign, CampaignResponse
from crm_sales.domain.documents import Order, Quote
from crm_sales.domain.expenses import Expense
from crm_sales.domain.opportunities import Opportunity
from crm_sales.domain.pipeline import DEFAULT_PIPELINE, SalesConfiguration
from crm_sales.domain.pricing import price_line
from crm_sales.domain.products import Product
from crm_sales.domain.subscriptions import Contract
from crm_sales.domain.tasks import Task

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
CUSTOMER, SURVIVOR = uuid4(), uuid4()
COMMON = {"tenant_id": "acme", "customer_id": CUSTOMER, "branch_id": "north"}


def every_kind_of_change() -> list[Aggregate]:
    """One of each aggregate, taken through each of its state changes."""
    config = SalesConfiguration(tenant_id="acme")
    config.reconfigure(
        pipeline=DEFAULT_PIPELINE, timezone="Asia/Shanghai", expiring_days_ahead=45, by="admin"
    )
    product = Product.add(
        tenant_id="acme",
        sku="FRK",
        name="Forklift",
        list_price=Decimal(1000),
        unit_cost=Decimal(800),
        currency="EUR",
        created_by="admin",
    )
    product.update({"list_price": Decimal(1100)}, by="admin")
    won = Opportunity.open(
        pipeline=DEFAULT_PIPELINE,
        name="Fleet",
        amount=Decimal(5000),
        currency="EUR",
        expected_close_date=date(2026, 6, 30),
        owner_id="north-rep",
        created_by="north-rep",
        **COMMON,  # type: ignore[arg-type]
    )
    won.update({"name": "Fleet 2026"}, by="north-rep")
    won.move_to("proposal", DEFAULT_PIPELINE, by="north-rep")
    won.set_probability(60, by="north-rep")
    won.change_amount(Decimal(4000), "EUR", by="north-rep")
    won.change_close_date(date(2026, 7, 31), by="north-rep")
    won.assign("north-rep2", by="north-mgr", reason=OpportunityOwnerChangeReason.ASSIGNED)
    won.lose(DEFAULT_PIPELINE, reason="budget", by="north-rep2", today=NOW.date())
    won.reopen(DEFAULT_PIPELINE, stage=None, by="north-mgr", by_manager=True)
    won.win(DEFAULT_PIPELINE, by="north-rep2", today=NOW.date())
    line = price_line(
        product,
        currency="EUR",
        quantity=Decimal(2),
        unit_price=Decimal(500),
        discount_percent=Decimal(0),
        field="lines[0]",
    )
    quote = Quote.draft(
        currency="EUR", lines=[line], discount_percent=Decimal(0), created_by="north-rep", **COMMON
    )
    quote.revise(lines=[line], discount_percent=Decimal(5), valid_until=None, by="north-rep")
    quote.approve_loss(by="north-mgr")
    quote.send(by="north-rep")
    quote.accept(by="north-rep", order_id=uuid4(), contract_id=uuid4())
    rejected = Quote.draft(
        currency="EUR", lines=[line], discount_percent=Decimal(0), created_by="north-mgr", **COMMON
    )
    rejected.approve_loss(by="ceo")
    rejected.send(by="north-mgr")
    rejected.reject(reason=None, by="north-mgr")
    order = Order.place(
        currency="EUR", lines=[line], discount_percent=Decimal(0), created_by="north-rep", **COMMON
    )
    order.approve_loss(by="north-mgr")
    order.cancel(reason="duplicate", by="north-mgr")
    contract = Contract.start(
        name="Rental",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        created_by="north-rep",
        **COMMON,
    )
    contract.review(today=NOW.date(), days_ahead=30)
    following = contract.renew(by="north-rep")
    following.review(today=date(2026, 7, 1), days_ahead=30)
    task = Task.plan(
        subject="Visit",
        method=TaskMethod.VISIT,
        start_at=NOW,
        duration_minutes=60,
        assignee_id="north-rep",
        created_by="north-mgr",
        **COMMON,
    )
    task.reschedule(
        start_at=NOW + timedelta(hours=1), duration_minutes=None, reminder_at=None, by="x"
    )
    task.reassign("north-rep2", by="north-mgr")
    task.remind_if_overdue(now=NOW + timedelta(days=1), timezone="UTC")
    task.complete(by="north-rep2", now=NOW + timedelta(days=1), outcome="met the buyer")
    expense = Expense.record(
        contact_id=uuid4(),
        amount=Decimal("86.50"),
        currency="CNY",
        category=ExpenseCategory.MEALS,
        incurred_on=NOW.date() - timedelta(days=2),
        description=None,
        recorded_by="north-rep",
        now=NOW,
        timezone="UTC",
        **COMMON,  # type: ignore[arg-type]
    )
    expense.approve(by="north-mgr")
    rejected_expense = Expense.record(
        contact_id=uuid4(),
        amount=Decimal(10),
        currency="CNY",
        category=ExpenseCategory.GIFTS,
        incurred_on=NOW.date() - timedelta(days=2),
        description="tea",
        recorded_by="north-rep",
        now=NOW,
        timezone="UTC",
        **COMMON,  # type: ignore[arg-type]
    )
    rejected_expense.reject(reason="no receipt", by="north-mgr")
    campaign = Campaign.plan(
        tenant_id="acme",
        name="Spring",
        segment_id=uuid4(),
        channel=CampaignChannel.EMAIL,
        budget=Decimal(5000),
        currency="EUR",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 4, 30),
        created_by="marketer",
    )
    campaign.update({"budget": Decimal(6500)}, by="marketer")
    response = CampaignResponse(campaign_id=campaign.id, contact_id=uuid4(), **COMMON)
    response.record(CampaignResponseKind.OPENED, at=NOW, by="integrator")
    records: list[Aggregate] = [
        config,
        product,
        won,
        quote,
        rejected,
        order,
        contract,
        following,
        task,
        expense,
        rejected_expense,
        campaign,
        response,
    ]
    for record in records:
        if isinstance(record, CustomerRecord) and not isinstance(record, CampaignResponse):
            record.move_to_customer(SURVIVOR, branch_id="north", by="north-mgr")
    return records


def test_every_change_maps_to_a_valid_event_keyed_by_its_customer_in_version_order() -> None:
    published = set()
    for aggregate in every_kind_of_change():
        for recorded in aggregate.events:
            event = to_cloud_event(aggregate, recorded)
            published.add(event.type)
            assert event.sequence == recorded.version
            assert event.subject is not None
            assert event.subject.startswith(f"{aggregate.ENTITY}/")
            if isinstance(aggregate, CustomerRecord):
                assert event.partitionkey == str(aggregate.customer_id)
                assert event.branchid == "north"
            assert event.payload()  # the data validates against its registered model
        assert [r.version for r in aggregate.events] == list(range(1, aggregate.version + 1))

    sales_types = {spec.type for spec in all_specs() if spec.type.startswith("crm.sales.")}
    assert published == sales_types, "every sales contract is published by some change"


def test_the_mapping_table_names_only_registered_sales_contracts() -> None:
    registered = {spec.payload for spec in all_specs()}
    mapped = [payload for table in PAYLOADS.values() for payload in table.values()]

    assert set(mapped) <= registered
    assert len(mapped) == len(set(mapped)), "one contract per (aggregate, domain event)"


def test_money_travels_as_a_decimal_string_with_its_currency() -> None:
    won = Opportunity.open(
        pipeline=DEFAULT_PIPELINE,
        name="Fleet",
        amount=Decimal("4000.50"),
        currency="EUR",
        expected_close_date=date(2026, 6, 30),
        owner_id="north-rep",
        created_by="north-rep",
        **COMMON,  # type: ignore[arg-type]
    )
    won.win(DEFAULT_PIPELINE, by="north-rep", today=NOW.date())

    event = to_cloud_event(won, won.events[-1])

    assert event.type == "crm.sales.opportunity.won.v1"
    assert event.data == {
        "opportunity_id": str(won.id),
        "customer_id": str(CUSTOMER),
        "amount": "4000.50",
        "currency": "EUR",
        "owner_id": "north-rep",
        "campaign_id": None,
        "closed_on": "2026-03-16",
        "won_by": "north-rep",
    }
