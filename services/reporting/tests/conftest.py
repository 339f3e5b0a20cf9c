"""The reporting service on the session's real database and a real broker of its own, a
producer that feeds it real events, and a generator of a company's history (`Scenario`) that
also keeps the final state of every entity, so tests compute the expected numbers on their own.

Why a broker of its own: every event published on the session's shared broker is also
consumed by the other services' consumers running in this process (customers, sales,
service desk, notifications), so in a full session the reporting tests' thousands of made-up
events made all of them work (and the shared topics hold every suite's events, which a
rebuild would replay). Here the reporting tests see only what they publish; tenants still
keep one test's numbers apart from another's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from crm_contracts import CloudEvent, new_event, topic_for
from crm_contracts import customers as c
from crm_contracts import notifications as n
from crm_contracts import sales as s
from crm_contracts import service_desk as sd
from crm_reporting.app import MIGRATIONS, create_app
from crm_reporting.config import ReportingSettings
from fastapi import FastAPI
from pydantic import BaseModel
from servicekit.embedded import EmbeddedBroker, free_port
from servicekit.kafka import wait_for_broker
from servicekit.tables import inbox
from servicekit.testing import TestInfra, running_service
from servicekit.testing.infra import create_all_topics
from sqlalchemy import func, select

REPORTING = {"consumer_max_attempts": 2, "consumer_retry_backoff_s": 0.05}
# A wait for the consumer fails when it has applied nothing new for this long (not after a
# fixed time: on a loaded machine a large history legitimately takes a while).
STALLED_S = 30.0


@dataclass
class Broker:
    bootstrap: str
    producer: AIOKafkaProducer


@contextlib.asynccontextmanager
async def broker_of_its_own() -> AsyncIterator[Broker]:
    """A fresh embedded broker with every topic, and a producer on it."""
    broker = EmbeddedBroker(port=free_port())
    await asyncio.to_thread(broker.start)
    try:
        await wait_for_broker(broker.bootstrap)
        await create_all_topics(broker.bootstrap)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            yield Broker(broker.bootstrap, producer)
        finally:
            await producer.stop()
    finally:
        await asyncio.to_thread(broker.stop)


@pytest.fixture(scope="session")
def own_broker() -> Callable[[], contextlib.AbstractAsyncContextManager[Broker]]:
    """`async with own_broker() as broker:` for tests that read whole topics (rebuilds)."""
    return broker_of_its_own


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def reporting_broker() -> AsyncIterator[Broker]:
    async with broker_of_its_own() as broker:
        yield broker


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def reporting_service(
    infra: TestInfra, reporting_broker: Broker
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    url = await infra.migrated_database("reporting", MIGRATIONS)
    settings = infra.settings(
        ReportingSettings,
        database_url=url,
        kafka_bootstrap=reporting_broker.bootstrap,
        **REPORTING,
    )
    async with running_service(create_app, settings) as running:
        yield running


@pytest.fixture
def reporting(reporting_service: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return reporting_service[1]


@pytest.fixture
def reporting_app(reporting_service: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return reporting_service[0]


@pytest.fixture
def producer(reporting_broker: Broker) -> AIOKafkaProducer:
    return reporting_broker.producer


async def publish(producer: AIOKafkaProducer, events: Iterable[CloudEvent]) -> None:
    """Send in the given order (each keyed by its partition key), then wait for the acks."""
    sent = [
        await producer.send(topic_for(e), e.to_json_bytes(), key=e.partitionkey.encode())
        for e in events
    ]
    await asyncio.gather(*sent)


async def wait_applied(app: FastAPI, events: Iterable[CloudEvent]) -> None:
    """Until the consumer has recorded every one of `events` in its inbox; fails once it
    has applied none of them for `STALLED_S`."""
    ids = list({e.id for e in events})
    loop = asyncio.get_running_loop()
    sessions = app.state.runtime.session_factory
    last, since = -1, loop.time()
    while True:
        async with sessions() as session:
            done = await session.scalar(
                select(func.count()).select_from(inbox).where(inbox.c.event_id.in_(ids))
            )
        if done == len(ids):
            return
        if done != last:
            last, since = done, loop.time()
        assert loop.time() - since < STALLED_S, f"stuck at {done} of {len(ids)} applied"
        await asyncio.sleep(0.05)


def bearer(infra: TestInfra, tenant: str, user: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {infra.token(user, tenant=tenant, **claims)}"}


@pytest.fixture
def auth(infra: TestInfra, tenant: str) -> Callable[..., dict[str, str]]:
    def headers(user: str = "admin", **claims: Any) -> dict[str, str]:
        return bearer(infra, tenant, user, **claims)

    return headers


# --- a company's history, and its final state --------------------------------------------

REPS = {"north": ("north-rep", "north-rep2"), "south": ("south-rep",)}
STAGES = [("qualification", 10), ("needs_analysis", 25), ("proposal", 50), ("negotiation", 75)]
PROBABILITY = dict(STAGES) | {"won": 100, "lost": 0}
CHURN_REASONS = ("moved to a competitor", "price too high", "went out of business")
LOST_REASONS = ("no budget", "no answer")
FIELDS = ("name", "category", "industry", "phone", "email")


def month(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


@dataclass
class Customer:
    id: uuid.UUID
    branch: str
    owner: str | None
    stage: str
    created_at: datetime
    filled: dict[str, bool]
    became_customer_at: datetime | None = None
    left_at: datetime | None = None
    reason: str | None = None
    deleted: bool = False
    version: int = 1


@dataclass
class Opportunity:
    id: uuid.UUID
    customer: Customer
    branch: str
    owner: str
    stage: str
    probability: int
    amount: Decimal
    currency: str
    close_date: date
    created_at: datetime
    campaign: uuid.UUID | None
    status: str = "open"
    closed_on: date | None = None
    entered: set[str] = field(default_factory=set)
    version: int = 1


@dataclass
class Expense:
    customer: Customer
    amount: Decimal
    incurred_on: date
    status: str


@dataclass
class OrderLine:
    product: uuid.UUID
    quantity: Decimal
    net: Decimal
    cost: Decimal


@dataclass
class Order:
    customer: Customer
    owner: str
    confirmed_at: datetime
    lines: list[OrderLine]
    cancelled: bool = False


@dataclass
class Quote:
    branch: str
    owner: str
    created_at: datetime
    total: Decimal
    status: str
    loss_alarm: bool


@dataclass
class Contract:
    branch: str
    owner: str
    end_date: date
    amount: Decimal
    status: str


@dataclass
class Task:
    branch: str
    assignee: str
    start_at: datetime
    due_at: datetime
    completed_at: datetime | None
    overdue: bool


@dataclass
class Interaction:
    branch: str
    author: str
    occurred_at: datetime


@dataclass
class Ticket:
    branch: str
    assignee: str | None
    priority: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    breached_first: bool
    breached_resolution: bool
    scores: list[int]


@dataclass
class Campaign:
    id: uuid.UUID
    name: str
    budget: Decimal
    responders: dict[str, set[uuid.UUID]] = field(default_factory=dict)
    mails_sent: int = 0


class Scenario:
    """A seeded history of one tenant, as the services would have published it."""

    def __init__(self, tenant: str, seed: int = 7, customers: int = 36) -> None:
        self.tenant = tenant
        self.rng = random.Random(seed)
        self.events: list[CloudEvent] = []
        self.customers: list[Customer] = []
        self.opportunities: list[Opportunity] = []
        self.expenses: list[Expense] = []
        self.orders: list[Order] = []
        self.quotes: list[Quote] = []
        self.contracts: list[Contract] = []
        self.tasks: list[Task] = []
        self.interactions: list[Interaction] = []
        self.tickets: list[Ticket] = []
        self.campaigns: list[Campaign] = []
        self.products = [uuid.uuid4() for _ in range(3)]
        self.names = {p: f"Product {i}" for i, p in enumerate(self.products)}
        self._campaigns()
        for _ in range(customers):
            self._customer()

    # -- emitting ------------------------------------------------------------------------

    def emit(
        self,
        payload: BaseModel,
        *,
        branch: str | None,
        key: uuid.UUID | str,
        subject: str,
        sequence: int,
        at: datetime,
    ) -> CloudEvent:
        event = new_event(
            payload,
            tenant=self.tenant,
            branch=branch,
            partition_key=str(key),
            subject=subject,
            sequence=sequence,
            time=at,
        )
        self.events.append(event)
        return event

    def moment(self, after: datetime | None = None, days: int = 40) -> datetime:
        start = after or datetime(2026, 1, 2, 9, tzinfo=UTC)
        return start + timedelta(hours=self.rng.randint(1, days * 24))

    def shuffled_with_duplicates(self, share: float = 0.15) -> list[CloudEvent]:
        """Every event in a random order (across services and within an entity), some of
        them twice: what a replayed outbox and a rebalance can deliver."""
        events = list(self.events)
        events += self.rng.sample(self.events, int(len(self.events) * share))
        self.rng.shuffle(events)
        return events

    # -- campaigns and products ------------------------------------------------------------

    def _campaigns(self) -> None:
        for i, budget in enumerate((Decimal("5000.00"), Decimal("1200.00"))):
            campaign = Campaign(uuid.uuid4(), f"Campaign {i}", budget)
            self.campaigns.append(campaign)
            at = self.moment(days=5)
            self.emit(
                s.CampaignCreatedV1(
                    campaign_id=campaign.id,
                    name=campaign.name,
                    segment_id=uuid.uuid4(),
                    channel=s.CampaignChannel.EMAIL,
                    budget=budget - 100,
                    currency="EUR",
                    start_date=date(2026, 1, 1),
                    end_date=date(2026, 6, 30),
                    created_by="marketer",
                ),
                branch=None,
                key=campaign.id,
                subject=f"campaign/{campaign.id}",
                sequence=1,
                at=at,
            )
            self.emit(
                s.CampaignUpdatedV1(
                    campaign_id=campaign.id,
                    changes={"budget": s.ChangedValue(old=str(budget - 100), new=str(budget))},
                    updated_by="marketer",
                ),
                branch=None,
                key=campaign.id,
                subject=f"campaign/{campaign.id}",
                sequence=2,
                at=at + timedelta(hours=1),
            )
            mailing = uuid.uuid4()
            self.emit(
                n.MailingStartedV1(
                    mailing_id=mailing,
                    campaign_id=campaign.id,
                    segment_id=uuid.uuid4(),
                    queued=0,
                    skipped_unsubscribed=0,
                    skipped_without_email=0,
                    started_by="marketer",
                ),
                branch=None,
                key=campaign.id,
                subject=f"mailing/{mailing}",
                sequence=1,
                at=at + timedelta(hours=2),
            )
        product = self.products[0]
        self.emit(
            s.ProductCreatedV1(
                product_id=product,
                sku="P-0",
                name=self.names[product],
                list_price=Decimal("100.00"),
                unit_cost=Decimal("60.00"),
                currency="EUR",
                active=True,
                created_by="admin",
            ),
            branch=None,
            key=product,
            subject=f"product/{product}",
            sequence=1,
            at=self.moment(days=2),
        )

    # -- customers ---------------------------------------------------------------------------

    def _customer(self) -> None:
        rng = self.rng
        branch = rng.choice(("north", "north", "south"))
        owner = rng.choice((*REPS[branch], None)) if rng.random() < 0.9 else None
        stage = rng.choice(("lead", "prospect", "customer"))
        created = self.moment()
        values = {f: (f"{f}-x" if f == "name" or rng.random() < 0.6 else None) for f in FIELDS}
        customer = Customer(
            uuid.uuid4(),
            branch,
            owner,
            stage,
            created,
            {f: v is not None for f, v in values.items()},
            became_customer_at=created if stage == "customer" else None,
        )
        self.customers.append(customer)
        self.emit(
            c.CustomerCreatedV1(
                customer_id=customer.id,
                name=values["name"] or "x",
                kind="company",
                lifecycle_stage=c.LifecycleStage(stage),
                owner_id=owner,
                category=values["category"],
                industry=values["industry"],
                phone=values["phone"],
                email=values["email"],
                created_by="admin",
            ),
            **self._customer_envelope(customer, created),
        )
        at = created
        if rng.random() < 0.4:  # fax filled in later; phone removed
            at = self.moment(at, 10)
            customer.version += 1
            customer.filled["fax"] = True
            customer.filled["phone"] = False
            self.emit(
                c.CustomerUpdatedV1(
                    customer_id=customer.id,
                    changes={
                        "fax": c.FieldChange(old=None, new="+1 555"),
                        "phone": c.FieldChange(old="x", new=None),
                    },
                    updated_by="admin",
                ),
                **self._customer_envelope(customer, at),
            )
        if rng.random() < 0.3:  # a manager hands it to another rep (maybe another branch)
            at = self.moment(at, 10)
            old_owner, old_branch = customer.owner, customer.branch
            customer.branch = rng.choice(("north", "south"))
            customer.owner = rng.choice(REPS[customer.branch])
            customer.version += 1
            self.emit(
                c.CustomerOwnerChangedV1(
                    customer_id=customer.id,
                    old_owner_id=old_owner,
                    new_owner_id=customer.owner,
                    old_branch_id=old_branch,
                    new_branch_id=customer.branch,
                    reason=c.OwnerChangeReason.ASSIGNED,
                    changed_by="north-mgr",
                ),
                **self._customer_envelope(customer, at),
            )
        for _ in range(rng.randint(0, 3)):
            self._opportunity(customer)
        for _ in range(rng.randint(0, 2)):
            self._expense(customer)
        if rng.random() < 0.4:
            self._order(customer)
        if rng.random() < 0.5:
            self._quote(customer)
        if rng.random() < 0.4:
            self._contract(customer)
        for _ in range(rng.randint(0, 2)):
            self._interaction(customer)
        for _ in range(rng.randint(0, 2)):
            self._ticket(customer)
        roll = rng.random()
        if customer.stage in ("lead", "prospect") and roll < 0.3:
            self._lifecycle(customer, "customer", None)
        if customer.stage == "customer" and roll > 0.75:
            self._lifecycle(customer, "churned", rng.choice(CHURN_REASONS))
        elif customer.stage == "lead" and roll > 0.8:
            self._lifecycle(customer, "lost", rng.choice(LOST_REASONS))
        if rng.random() < 0.04:
            customer.deleted = True
            customer.version += 1
            self.emit(
                c.CustomerDeletedV1(customer_id=customer.id, deleted_by="admin"),
                **self._customer_envelope(customer, self.moment(created, 60)),
            )

    def _customer_envelope(self, customer: Customer, at: datetime) -> dict[str, Any]:
        return {
            "branch": customer.branch,
            "key": customer.id,
            "subject": f"customer/{customer.id}",
            "sequence": customer.version,
            "at": at,
        }

    def _lifecycle(self, customer: Customer, stage: str, reason: str | None) -> None:
        at = self.moment(customer.created_at, 120)
        old, customer.stage = customer.stage, stage
        customer.version += 1
        if stage == "customer" and customer.became_customer_at is None:
            customer.became_customer_at = at
        if stage in ("churned", "lost"):
            customer.left_at, customer.reason = at, reason
        self.emit(
            c.CustomerLifecycleChangedV1(
                customer_id=customer.id,
                old_stage=c.LifecycleStage(old),
                new_stage=c.LifecycleStage(stage),
                reason=reason,
                changed_by="admin",
            ),
            **self._customer_envelope(customer, at),
        )

    # -- opportunities -----------------------------------------------------------------------

    def _opportunity(self, customer: Customer) -> None:
        rng = self.rng
        created = self.moment(customer.created_at, 30)
        owner = customer.owner or REPS[customer.branch][0]
        opp = Opportunity(
            uuid.uuid4(),
            customer,
            customer.branch,
            owner,
            "qualification",
            10,
            Decimal(rng.randrange(1000, 90000, 250)),
            "EUR",
            (created + timedelta(days=rng.randint(20, 150))).date(),
            created,
            rng.choice(self.campaigns).id if rng.random() < 0.3 else None,
            entered={"qualification"},
        )
        self.opportunities.append(opp)
        ref = {"opportunity_id": opp.id, "customer_id": customer.id}
        self._opp_event(
            opp,
            s.OpportunityCreatedV1(
                **ref,
                name="Deal",
                amount=opp.amount,
                currency="EUR",
                expected_close_date=opp.close_date,
                probability=10,
                stage="qualification",
                owner_id=owner,
                campaign_id=opp.campaign,
                created_by=owner,
            ),
            created,
            first=True,
        )
        at = created
        for stage, probability in STAGES[1 : rng.randint(1, 4)]:
            at = self.moment(at, 8)
            self._stage(opp, stage, probability, at)
        if rng.random() < 0.4:
            at = self.moment(at, 5)
            old, opp.amount = opp.amount, opp.amount + 500
            self._opp_event(
                opp,
                s.OpportunityAmountChangedV1(
                    **ref,
                    old_amount=old,
                    old_currency="EUR",
                    new_amount=opp.amount,
                    currency="EUR",
                    changed_by=owner,
                ),
                at,
            )
        if rng.random() < 0.3:
            at = self.moment(at, 5)
            old_date, opp.close_date = opp.close_date, opp.close_date + timedelta(days=45)
            self._opp_event(
                opp,
                s.OpportunityCloseDateChangedV1(
                    **ref, old_close_date=old_date, new_close_date=opp.close_date, changed_by=owner
                ),
                at,
            )
        outcome = rng.random()
        if outcome < 0.35:
            self._close(opp, "won", self.moment(at, 10))
        elif outcome < 0.55:
            self._close(opp, "lost", self.moment(at, 10))
            if rng.random() < 0.3:  # a manager reopens it, and it is won after all
                at = self.moment(at + timedelta(days=11), 5)
                self._opp_event(
                    opp,
                    s.OpportunityReopenedV1(
                        **ref, old_stage="lost", new_stage="negotiation", reopened_by="north-mgr"
                    ),
                    at,
                )
                opp.status, opp.closed_on = "open", None
                self._stage(opp, "negotiation", 75, at)
                self._close(opp, "won", self.moment(at, 10))
        if rng.random() < 0.5:
            self._task(opp)

    def _opp_event(
        self, opp: Opportunity, payload: BaseModel, at: datetime, *, first: bool = False
    ) -> None:
        if not first:
            opp.version += 1
        self.emit(
            payload,
            branch=opp.branch,
            key=opp.customer.id,
            subject=f"opportunity/{opp.id}",
            sequence=opp.version,
            at=at,
        )

    def _stage(self, opp: Opportunity, stage: str, probability: int, at: datetime) -> None:
        old_stage, old_probability = opp.stage, opp.probability
        opp.stage, opp.probability = stage, probability
        opp.entered.add(stage)
        self._opp_event(
            opp,
            s.OpportunityStageChangedV1(
                opportunity_id=opp.id,
                customer_id=opp.customer.id,
                old_stage=old_stage,
                new_stage=stage,
                old_probability=old_probability,
                new_probability=probability,
                amount=opp.amount,
                currency=opp.currency,
                expected_close_date=opp.close_date,
                owner_id=opp.owner,
                changed_by=opp.owner,
            ),
            at,
        )

    def _close(self, opp: Opportunity, outcome: str, at: datetime) -> None:
        self._stage(opp, outcome, PROBABILITY[outcome], at)
        opp.status, opp.closed_on = outcome, at.date()
        ref = {"opportunity_id": opp.id, "customer_id": opp.customer.id}
        common = {"amount": opp.amount, "currency": "EUR", "owner_id": opp.owner}
        if outcome == "won":
            payload: BaseModel = s.OpportunityWonV1(
                **ref,
                **common,
                campaign_id=opp.campaign,
                closed_on=opp.closed_on,
                won_by=opp.owner,
            )
        else:
            payload = s.OpportunityLostV1(
                **ref, **common, reason="price", closed_on=opp.closed_on, lost_by=opp.owner
            )
        self._opp_event(opp, payload, at)

    # -- money, orders, tasks, interactions, tickets ------------------------------------------

    def _expense(self, customer: Customer) -> None:
        rng = self.rng
        expense_id = uuid.uuid4()
        incurred = self.moment(customer.created_at, 60)
        late = rng.random() < 0.4
        amount = Decimal(rng.randrange(50, 3000)) / 2
        expense = Expense(
            customer, amount, incurred.date(), "pending_approval" if late else "approved"
        )
        self.expenses.append(expense)
        common = {
            "branch": customer.branch,
            "key": customer.id,
            "subject": f"expense/{expense_id}",
        }
        self.emit(
            s.ExpenseRecordedV1(
                expense_id=expense_id,
                customer_id=customer.id,
                contact_id=uuid.uuid4(),
                amount=amount,
                currency="EUR",
                category=s.ExpenseCategory.MEALS,
                incurred_on=expense.incurred_on,
                recorded_on=expense.incurred_on + timedelta(days=2 if late else 0),
                description=None,
                status=s.ExpenseStatus(expense.status),
                recorded_by=customer.owner or "north-rep",
            ),
            sequence=1,
            at=incurred,
            **common,
        )
        if late:
            decided = incurred + timedelta(days=3)
            if rng.random() < 0.5:
                expense.status = "approved"
                payload: BaseModel = s.ExpenseApprovedV1(
                    expense_id=expense_id,
                    customer_id=customer.id,
                    amount=amount,
                    currency="EUR",
                    incurred_on=expense.incurred_on,
                    approved_by="north-mgr",
                )
            else:
                expense.status = "rejected"
                payload = s.ExpenseRejectedV1(
                    expense_id=expense_id,
                    customer_id=customer.id,
                    reason="no receipt",
                    rejected_by="north-mgr",
                )
            self.emit(payload, sequence=2, at=decided, **common)

    def _order(self, customer: Customer) -> None:
        rng = self.rng
        order_id = uuid.uuid4()
        owner = customer.owner or REPS[customer.branch][0]
        at = self.moment(customer.created_at, 60)
        lines = []
        for product in rng.sample(self.products, rng.randint(1, 3)):
            quantity = Decimal(rng.randint(1, 5))
            lines.append(OrderLine(product, quantity, quantity * 100, quantity * 60))
        order = Order(customer, owner, at, lines)
        self.orders.append(order)
        wire_lines = [
            s.DocumentLine(
                line_no=i + 1,
                product_id=line.product,
                sku=f"P-{self.products.index(line.product)}",
                name=self.names[line.product],
                quantity=line.quantity,
                unit_price=Decimal(100),
                discount_percent=Decimal(0),
                net_amount=line.net,
                unit_cost=Decimal(60),
                cost=line.cost,
            )
            for i, line in enumerate(lines)
        ]
        total = sum((line.net for line in lines), Decimal(0))
        cost = sum((line.cost for line in lines), Decimal(0))
        snapshot = {
            "order_id": order_id,
            "customer_id": customer.id,
            "currency": "EUR",
            "subtotal": total,
            "discount_percent": Decimal(0),
            "total": total,
            "cost": cost,
            "margin": total - cost,
            "lines": wire_lines,
            "loss_alarm": False,
        }
        common = {"branch": customer.branch, "key": customer.id, "subject": f"order/{order_id}"}
        self.emit(
            s.OrderCreatedV1(
                **snapshot, quote_id=None, status=s.OrderStatus.CONFIRMED, created_by=owner
            ),
            sequence=1,
            at=at,
            **common,
        )
        self.emit(
            s.OrderConfirmedV1(**snapshot, quote_id=None, confirmed_by=owner),
            sequence=2,
            at=at,
            **common,
        )
        if rng.random() < 0.25:
            order.cancelled = True
            self.emit(
                s.OrderCancelledV1(
                    order_id=order_id,
                    customer_id=customer.id,
                    total=total,
                    currency="EUR",
                    reason="changed their mind",
                    cancelled_by=owner,
                ),
                sequence=3,
                at=at + timedelta(days=1),
                **common,
            )

    def _quote(self, customer: Customer) -> None:
        rng = self.rng
        quote_id = uuid.uuid4()
        owner = customer.owner or REPS[customer.branch][0]
        at = self.moment(customer.created_at, 60)
        below_cost = rng.random() < 0.25
        total = Decimal(rng.randrange(100, 5000))
        cost = total + 10 if below_cost else total / 2
        figures = {
            "quote_id": quote_id,
            "customer_id": customer.id,
            "currency": "EUR",
            "subtotal": total,
            "discount_percent": Decimal(0),
            "total": total,
            "cost": cost,
            "margin": total - cost,
        }
        line = s.DocumentLine(
            line_no=1,
            product_id=self.products[0],
            sku="P-0",
            name=self.names[self.products[0]],
            quantity=Decimal(1),
            unit_price=total,
            discount_percent=Decimal(0),
            net_amount=total,
            unit_cost=cost,
            cost=cost,
        )
        quote = Quote(customer.branch, owner, at, total, "draft", below_cost)
        self.quotes.append(quote)
        common = {"branch": customer.branch, "key": customer.id, "subject": f"quote/{quote_id}"}
        self.emit(
            s.QuoteCreatedV1(
                **figures,
                lines=[line],
                loss_alarm=below_cost,
                opportunity_id=None,
                valid_until=None,
                created_by=owner,
            ),
            sequence=1,
            at=at,
            **common,
        )
        version = 1
        if below_cost:
            version += 1
            self.emit(
                s.QuoteLossAlarmRaisedV1(
                    **figures, lines_below_cost=[1], total_below_cost=True, created_by=owner
                ),
                sequence=version,
                at=at,
                **common,
            )
        roll = rng.random()
        if roll < 0.25:
            return  # still a draft
        version += 1
        quote.status = "sent"
        ref = {"quote_id": quote_id, "customer_id": customer.id}
        self.emit(
            s.QuoteSentV1(**ref, total=total, currency="EUR", valid_until=None, sent_by=owner),
            sequence=version,
            at=at + timedelta(hours=2),
            **common,
        )
        if roll < 0.5:
            return
        version += 1
        if roll < 0.8:
            quote.status = "accepted"
            payload: BaseModel = s.QuoteAcceptedV1(
                **ref,
                total=total,
                currency="EUR",
                order_id=None,
                contract_id=None,
                accepted_by=owner,
            )
        else:
            quote.status = "rejected"
            payload = s.QuoteRejectedV1(**ref, reason="too dear", rejected_by=owner)
        self.emit(payload, sequence=version, at=at + timedelta(days=3), **common)

    def _contract(self, customer: Customer) -> None:
        rng = self.rng
        contract_id = uuid.uuid4()
        owner = customer.owner or REPS[customer.branch][0]
        start = self.moment(customer.created_at, 30).date()
        end = start + timedelta(days=rng.choice((90, 180)))
        amount = Decimal(rng.randrange(1000, 9000))
        contract = Contract(customer.branch, owner, end, amount, "active")
        self.contracts.append(contract)
        ref = {"contract_id": contract_id, "customer_id": customer.id}
        common = {
            "branch": customer.branch,
            "key": customer.id,
            "subject": f"contract/{contract_id}",
        }
        at = datetime(start.year, start.month, start.day, 8, tzinfo=UTC)
        self.emit(
            s.ContractCreatedV1(
                **ref,
                name="Service plan",
                start_date=start,
                end_date=end,
                amount=amount,
                currency="EUR",
                quote_id=None,
                order_id=None,
                previous_id=None,
                created_by=owner,
            ),
            sequence=1,
            at=at,
            **common,
        )
        roll = rng.random()
        if roll < 0.3:
            return
        contract.status = "expiring"
        self.emit(
            s.ContractExpiringV1(**ref, end_date=end, days_left=30),
            sequence=2,
            at=at + (end - start) - timedelta(days=30),
            **common,
        )
        if roll < 0.5:
            return
        if roll < 0.8:
            contract.status = "renewed"
            payload: BaseModel = s.ContractRenewedV1(
                **ref,
                next_contract_id=uuid.uuid4(),
                next_start_date=end + timedelta(days=1),
                next_end_date=end + timedelta(days=365),
                renewed_by=owner,
            )
        else:
            contract.status = "not_renewed"
            payload = s.ContractNotRenewedV1(**ref, end_date=end)
        self.emit(payload, sequence=3, at=at + (end - start), **common)

    def _task(self, opp: Opportunity) -> None:
        rng = self.rng
        task_id = uuid.uuid4()
        start = self.moment(opp.created_at, 20)
        due = start + timedelta(minutes=60)
        roll = rng.random()
        completed = start + timedelta(minutes=rng.choice((30, 90))) if roll < 0.5 else None
        overdue = completed is None and roll < 0.8
        task = Task(opp.branch, opp.owner, start, due, completed, overdue)
        self.tasks.append(task)
        common = {"branch": opp.branch, "key": opp.customer.id, "subject": f"task/{task_id}"}
        ref = {"task_id": task_id, "customer_id": opp.customer.id}
        self.emit(
            s.TaskCreatedV1(
                **ref,
                subject="Call",
                method=s.TaskMethod.CALL,
                start_at=start,
                duration_minutes=60,
                assignee_id=opp.owner,
                reminder_at=None,
                contact_id=None,
                opportunity_id=opp.id,
                created_by=opp.owner,
            ),
            sequence=1,
            at=start - timedelta(days=1),
            **common,
        )
        if completed is not None:
            self.emit(
                s.TaskCompletedV1(
                    **ref,
                    assignee_id=opp.owner,
                    method=s.TaskMethod.CALL,
                    completed_at=completed,
                    outcome=None,
                    completed_by=opp.owner,
                ),
                sequence=2,
                at=completed,
                **common,
            )
        elif overdue:
            for day in (0, 1):  # reminded on two days: still one overdue task
                self.emit(
                    s.TaskOverdueV1(
                        **ref,
                        assignee_id=opp.owner,
                        subject="Call",
                        due_at=due,
                        overdue_on=(due + timedelta(days=day)).date(),
                        days_overdue=day,
                    ),
                    sequence=2 + day,
                    at=due + timedelta(days=day, hours=1),
                    **common,
                )
            if rng.random() < 0.4:  # moved to next week: no longer overdue
                task.start_at, task.due_at = start + timedelta(days=7), due + timedelta(days=7)
                task.overdue = False
                self.emit(
                    s.TaskRescheduledV1(
                        **ref,
                        old_start_at=start,
                        start_at=task.start_at,
                        old_duration_minutes=60,
                        duration_minutes=60,
                        reminder_at=None,
                        assignee_id=opp.owner,
                        rescheduled_by=opp.owner,
                    ),
                    sequence=4,
                    at=due + timedelta(days=2),
                    **common,
                )

    def _interaction(self, customer: Customer) -> None:
        author = customer.owner or REPS[customer.branch][0]
        interaction_id = uuid.uuid4()
        at = self.moment(customer.created_at, 60)
        self.interactions.append(Interaction(customer.branch, author, at))
        self.emit(
            c.InteractionLoggedV1(
                customer_id=customer.id,
                interaction_id=interaction_id,
                author_id=author,
                occurred_at=at,
                channel="call",
                outcome="interested",
                next_step="send a quote",
                next_step_due=(at + timedelta(days=3)).date(),
            ),
            branch=customer.branch,
            key=customer.id,
            subject=f"interaction/{interaction_id}",
            sequence=1,
            at=at,
        )
        for campaign in self.campaigns:  # some contacts answer a campaign
            if self.rng.random() < 0.3:
                contact = uuid.uuid4()
                kind = self.rng.choice(("opened", "replied", "interested"))
                campaign.responders.setdefault(kind, set()).add(contact)
                for copy in range(2):  # recorded twice (opened two mails): one responder
                    self.emit(
                        s.CampaignResponseRecordedV1(
                            campaign_id=campaign.id,
                            customer_id=customer.id,
                            contact_id=contact,
                            response=s.CampaignResponseKind(kind),
                            responded_at=at + timedelta(hours=copy),
                            recorded_by="integrator",
                        ),
                        branch=customer.branch,
                        key=customer.id,
                        subject=f"campaign_response/{uuid.uuid4()}",
                        sequence=1,
                        at=at + timedelta(hours=copy),
                    )
                email = uuid.uuid4()
                campaign.mails_sent += 1
                self.emit(
                    n.EmailSentV1(
                        email_id=email,
                        kind="campaign",
                        recipient_id=None,
                        contact_id=contact,
                        customer_id=customer.id,
                        notification_id=None,
                        campaign_id=campaign.id,
                        mailing_id=None,
                        attempt=1,
                        message_id=f"<{email}@crm>",
                        sent_at=at - timedelta(hours=1),
                    ),
                    branch=None,
                    key=customer.id,
                    subject=f"email/{email}",
                    sequence=1,
                    at=at - timedelta(hours=1),
                )

    def _ticket(self, customer: Customer) -> None:
        rng = self.rng
        ticket_id = uuid.uuid4()
        opened = self.moment(customer.created_at, 60)
        priority = rng.choice(("low", "normal", "high"))
        assignee = rng.choice(("agent", None))
        first_due, resolution_due = opened + timedelta(hours=4), opened + timedelta(hours=24)
        ticket = Ticket(customer.branch, assignee, priority, opened, None, None, False, False, [])
        self.tickets.append(ticket)
        ref = {"ticket_id": ticket_id, "customer_id": customer.id}
        version = 0

        def emit(payload: BaseModel, at: datetime) -> None:
            nonlocal version
            version += 1
            self.emit(
                payload,
                branch=customer.branch,
                key=customer.id,
                subject=f"ticket/{ticket_id}",
                sequence=version,
                at=at,
            )

        emit(
            sd.TicketOpenedV1(
                **ref,
                first_response_due=first_due,
                resolution_due=resolution_due,
                contact_id=None,
                asset_id=None,
                subject="Broken",
                description="It does not work",
                category=None,
                priority=sd.TicketPriority(priority),
                channel=sd.TicketChannel.PHONE,
                status=sd.TicketStatus.NEW,
                assignee_id=assignee,
                out_of_warranty=False,
                attachments=0,
                opened_by="agent",
            ),
            opened,
        )
        if rng.random() < 0.8:
            answered = opened + timedelta(hours=rng.choice((1, 6)))
            ticket.first_response_at = answered
            emit(
                sd.TicketCommentedV1(
                    **ref,
                    comment_id=uuid.uuid4(),
                    author_id="agent",
                    author_kind=sd.AuthorKind.AGENT,
                    internal=False,
                    body="On it",
                    attachments=0,
                    first_response=True,
                ),
                answered,
            )
        elif rng.random() < 0.5:  # nobody answered in time: the SLA job says so
            ticket.breached_first = True
            emit(
                sd.TicketSlaBreachedV1(
                    **ref,
                    clock=sd.SlaClockKind.FIRST_RESPONSE,
                    due_at=first_due,
                    priority=sd.TicketPriority(priority),
                    assignee_id=assignee,
                ),
                first_due + timedelta(minutes=1),
            )
        if ticket.first_response_at and ticket.first_response_at > first_due:
            ticket.breached_first = True
        if rng.random() < 0.7:
            resolved = opened + timedelta(hours=rng.choice((8, 30)))
            ticket.resolved_at = resolved
            if ticket.first_response_at is None:
                ticket.first_response_at = resolved
                ticket.breached_first = ticket.breached_first or resolved > first_due
            ticket.breached_resolution = resolved > resolution_due
            emit(
                sd.TicketStatusChangedV1(
                    **ref,
                    first_response_due=None,
                    resolution_due=None,
                    old_status=sd.TicketStatus.OPEN,
                    new_status=sd.TicketStatus.RESOLVED,
                    changed_by="agent",
                ),
                resolved,
            )
            for _ in range(rng.randint(0, 2)):
                score = rng.randint(1, 5)
                ticket.scores.append(score)
                survey = uuid.uuid4()
                self.emit(
                    sd.SurveyAnsweredV1(
                        survey_id=survey,
                        ticket_id=ticket_id,
                        customer_id=customer.id,
                        score=score,
                        comment=None,
                        contact_id=None,
                        answered_by="portal",
                        answered_at=resolved + timedelta(hours=2),
                    ),
                    branch=customer.branch,
                    key=customer.id,
                    subject=f"survey/{survey}",
                    sequence=1,
                    at=resolved + timedelta(hours=2),
                )


@pytest.fixture(scope="session")
def scenario() -> type[Scenario]:
    """The history generator (a class: `scenario(tenant, seed=..., customers=...)`)."""
    return Scenario


@pytest.fixture(scope="session")
def feed(
    reporting_service: tuple[FastAPI, httpx.AsyncClient], reporting_broker: Broker
) -> Callable[..., Any]:
    """`await feed(events)`: publish them in that order and wait until all are applied (by
    `app` through `broker` when given: another reporting service on another broker)."""

    async def send(
        events: list[CloudEvent], app: FastAPI | None = None, broker: Broker | None = None
    ) -> None:
        await publish((broker or reporting_broker).producer, events)
        await wait_applied(app or reporting_service[0], events)

    return send


@pytest.fixture(scope="session")
def tokens(infra: TestInfra) -> Callable[[str, str], dict[str, str]]:
    """`tokens(tenant, user)`: headers of a demo user in that tenant."""
    return lambda tenant, user: bearer(infra, tenant, user)
