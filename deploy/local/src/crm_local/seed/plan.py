"""The demo company as data: everything `crm seed --demo` creates, drawn from one
`random.Random(seed)` in a fixed order. No I/O: the same (seed, size, day) gives the same plan,
which the loader then sends through the services' APIs.

Dates are relative to `today` (the company's day in Asia/Shanghai): what the APIs let a client
set in the past is spread over the last twelve months (interactions, expected close dates,
expenses, contracts, campaign responses); what they stamp themselves happens now.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from servicekit.keys import DEMO_USERS

from crm_local.seed import catalog, texts
from crm_local.seed.names import Company, Names, Person, staff_name

TIMEZONE: Final = "Asia/Shanghai"
ZONE: Final = ZoneInfo(TIMEZONE)
TENANT: Final = "demo"
BRANCHES: Final = ("north", "south")
OPEN_STAGES: Final = ("qualification", "needs_analysis", "proposal", "negotiation")

SizeName = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class Size:
    customers: int
    opportunities: int
    tickets: int
    tasks: int
    expenses: int
    quotes: int
    contracts: int


SIZES: Final[dict[str, Size]] = {
    "small": Size(
        customers=150, opportunities=200, tickets=30, tasks=30, expenses=16, quotes=20, contracts=12
    ),
    "medium": Size(
        customers=2000,
        opportunities=3000,
        tickets=300,
        tasks=300,
        expenses=150,
        quotes=150,
        contracts=100,
    ),
    "large": Size(
        customers=10000,
        opportunities=15000,
        tickets=1500,
        tasks=1500,
        expenses=750,
        quotes=750,
        contracts=500,
    ),
}


@dataclass(frozen=True)
class User:
    id: str
    roles: tuple[str, ...]
    branch: str | None
    name: str  # as the directory shows it
    email: str


@dataclass
class ContactPlan:
    person: Person
    primary: bool


@dataclass
class InteractionPlan:
    occurred_at: datetime
    place: str
    channel: str
    content: str
    outcome: str
    next_step: str
    next_step_due: date
    contact: int | None  # index into the customer's contacts
    close: bool


@dataclass
class CustomerPlan:
    index: int
    company: Company
    branch: str
    owner: str | None  # at import; None: in the pool
    stage: str  # at import: lead, prospect or customer
    final_stage: str  # after the lifecycle step: may be churned or lost
    reason: str | None
    tags: list[str]
    source: str
    scale: float  # how much this customer buys (Pareto: a few buy most)
    contact_name: str = ""  # the main contact person (the demo policy requires one)
    contacts: list[ContactPlan] = field(default_factory=list)
    interactions: list[InteractionPlan] = field(default_factory=list)
    # ("claim", rep) | ("assign", rep) | ("release", owner): after the import, in that order.
    ownership: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        return f"c{self.index}"

    @property
    def worker(self) -> str | None:
        """Who logs interactions and moves the lifecycle: the owner after the ownership step
        (the owner before it for a release)."""
        if self.ownership is None:
            return self.owner
        kind, who = self.ownership
        return self.owner if kind == "release" else who

    @property
    def sells(self) -> bool:
        """Opportunities, tasks and expenses only for customers whose owner never changes,
        so the sales service's copy of the owner is the one it learnt at creation."""
        return self.owner is not None and self.ownership is None

    def row(self) -> dict[str, str]:
        """The customer as a row of the import CSV."""
        c = self.company
        return {
            "name": c.name,
            "category": c.category,
            "industry": c.industry,
            "phone": c.phone,
            "fax": c.fax,
            "email": c.email,
            "contact_name": self.contact_name,
            "postal_code": c.postal_code,
            "address": c.address,
            "website": c.website,
            "tags": ";".join(self.tags),
            "lifecycle_stage": self.stage,
            "branch_id": self.branch,
            "owner_id": self.owner or "",
            "cf.source": self.source,
        }


@dataclass
class QuotePlan:
    lines: list[tuple[str, int, Decimal]]  # sku, quantity, discount percent
    status: Literal["draft", "sent", "accepted", "rejected"]
    loss: Literal["pending", "approved"] | None = None
    contract: tuple[str, date, date] | None = None  # name, start, end
    valid_days: int = 30


@dataclass
class OpportunityPlan:
    index: int
    customer: int
    owner: str
    name: str
    amount: Decimal
    close_date: date
    stages: list[str]  # created in the first, then moved through the others
    outcome: Literal["open", "won", "lost"]
    project: int  # index into catalog.PROJECTS
    lost_reason: str | None = None
    campaign: bool = False
    quote: QuotePlan | None = None

    @property
    def key(self) -> str:
        return f"o{self.index}"


@dataclass
class ContractPlan:
    index: int
    customer: int
    seller: str
    name: str
    start: date
    end: date
    amount: Decimal
    renew: bool


@dataclass
class TaskPlan:
    index: int
    customer: int
    assignee: str
    subject: str
    method: str
    start_at: datetime
    duration_minutes: int
    reminder_at: datetime | None
    contact: int | None
    opportunity: int | None
    outcome: str | None  # completed with this outcome; None: still open


@dataclass
class ExpensePlan:
    index: int
    customer: int
    contact: int
    recorder: str
    amount: Decimal
    category: str
    incurred_on: date
    description: str
    decision: Literal["approve", "reject"] | None
    decider: str


@dataclass
class AssetPlan:
    index: int
    customer: int
    product: str
    serial: str
    purchase_date: date
    warranty_end: date


@dataclass
class TicketPlan:
    index: int
    customer: int
    contact: int | None
    asset: int | None
    subject: str
    description: str
    category: str
    priority: str
    channel: Literal["phone", "email", "portal"]
    agent: str
    status: Literal["new", "open", "pending", "resolved", "closed"]
    reply: str | None  # the agent's first public reply
    survey: tuple[int, str] | None = None  # score, comment (through the portal)


@dataclass
class SegmentPlan:
    key: str
    name: str
    kind: Literal["filter", "static"]
    filter: dict[str, Any] | None = None
    members: list[int] = field(default_factory=list)


@dataclass
class ResponsePlan:
    customer: int
    contact: int
    kind: str
    at: datetime


@dataclass
class CampaignPlan:
    name: str
    segment: str
    channel: str
    budget: Decimal
    start: date
    end: date
    responses: list[ResponsePlan]


@dataclass
class AnnouncementPlan:
    title: str
    body: str
    publish_at: datetime | None
    expires_at: datetime | None


@dataclass
class Plan:
    seed: int
    size: str
    today: date
    users: list[User]
    customers: list[CustomerPlan]
    opportunities: list[OpportunityPlan]
    contracts: list[ContractPlan]
    tasks: list[TaskPlan]
    expenses: list[ExpensePlan]
    assets: list[AssetPlan]
    tickets: list[TicketPlan]
    segments: list[SegmentPlan]
    campaign: CampaignPlan
    announcements: list[AnnouncementPlan]

    @property
    def reps(self) -> list[User]:
        return [u for u in self.users if "sales_rep" in u.roles]

    def user(self, user_id: str) -> User:
        return next(u for u in self.users if u.id == user_id)

    def manager_of(self, branch: str) -> str:
        return f"{branch}-mgr"

    def agent_of(self, branch: str) -> str:
        return "agent" if branch == "north" else "south-agent"


# -- users --------------------------------------------------------------------------------


def _users(rng: random.Random) -> list[User]:
    """The demo company's staff (servicekit.keys.DEMO_USERS, the users `crm token` knows),
    with a name and an e-mail address each."""
    people = [(u.name, u.roles, u.branch) for u in DEMO_USERS.values()]
    users, seen = [], set()
    for user_id, roles, branch in people:
        while True:
            hanzi, latin = staff_name(rng)
            if hanzi not in seen:
                seen.add(hanzi)
                break
        email = f"{latin.lower().replace(' ', '.')}@demo-logistics.com.cn"
        users.append(User(user_id, tuple(roles), branch, f"{hanzi} ({latin})", email))
    return users


# -- helpers ------------------------------------------------------------------------------


def _weighted(rng: random.Random, options: dict[Any, float]) -> Any:
    return rng.choices(list(options), weights=list(options.values()))[0]


def _at_work(rng: random.Random, day: date) -> datetime:
    """A moment of the working day `day` in Shanghai, as UTC."""
    local = datetime.combine(day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), ZONE)
    return local.astimezone(UTC)


def _pareto(rng: random.Random) -> float:
    """How much a customer buys relative to a typical one: alpha 1.16 is the 80/20 rule."""
    return min(40.0, float((1.0 - rng.random()) ** (-1 / 1.16)))


def _years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes the 28th in other years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _money(value: float | Decimal, step: int = 100) -> Decimal:
    return Decimal(max(step, round(float(value) / step) * step))


# -- the plan -------------------------------------------------------------------------------


def build(seed: int, size: SizeName | str, today: date) -> Plan:
    """The demo company for `seed` and `size`, with dates around `today`."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; sizes: {', '.join(SIZES)}")
    rng = random.Random(f"crm-demo:{seed}")
    dims = SIZES[size]
    users = _users(rng)
    reps = {b: [u.id for u in users if "sales_rep" in u.roles and u.branch == b] for b in BRANCHES}
    # Reps differ: some carry more customers, some win more often.
    volume = {rep: rng.uniform(0.6, 1.4) for branch in BRANCHES for rep in reps[branch]}
    skill = {rep: rng.uniform(0.7, 1.3) for branch in BRANCHES for rep in reps[branch]}
    names = Names(rng)

    customers = [_customer(rng, names, i, reps, volume, today) for i in range(dims.customers)]
    _trade_fair(customers)
    opportunities = _opportunities(rng, customers, dims, skill, today)
    _fresh_deals(rng, opportunities, [r for branch in BRANCHES for r in reps[branch]], today)
    _quotes(rng, opportunities, customers, dims, today)
    contracts = _contracts(rng, customers, dims, today)
    tasks = _tasks(rng, customers, opportunities, dims, today)
    expenses = _expenses(rng, customers, dims, today)
    assets = _assets(rng, customers, dims, today)
    tickets = _tickets(rng, customers, assets, dims)
    segments = _segments(customers)
    campaign = _campaign(rng, customers, segments[-1], opportunities, today)
    announcements = [
        AnnouncementPlan(
            title,
            body,
            None if publish is None else _at_work(rng, today + timedelta(days=publish)),
            None if expires is None else _at_work(rng, today + timedelta(days=expires)),
        )
        for title, body, publish, expires in texts.ANNOUNCEMENTS
    ]
    return Plan(
        seed=seed,
        size=size,
        today=today,
        users=users,
        customers=customers,
        opportunities=opportunities,
        contracts=contracts,
        tasks=tasks,
        expenses=expenses,
        assets=assets,
        tickets=tickets,
        segments=segments,
        campaign=campaign,
        announcements=announcements,
    )


SOURCES: Final[dict[str, float]] = {
    "referral": 25,
    "trade fair": 20,
    "website": 30,
    "cold call": 15,
    "partner": 10,
}


def _customer(
    rng: random.Random,
    names: Names,
    index: int,
    reps: dict[str, list[str]],
    volume: dict[str, float],
    today: date,
) -> CustomerPlan:
    branch = "north" if rng.random() < 0.55 else "south"
    locale = "zh" if rng.random() < 0.8 else "en"
    company = names.company(branch=branch, locale=locale)
    pooled = rng.random() < 0.12
    owner = None if pooled else _weighted(rng, {r: volume[r] for r in reps[branch]})
    if pooled:
        stage = _weighted(rng, {"lead": 70, "prospect": 30})
    else:
        stage = _weighted(rng, {"lead": 28, "prospect": 27, "customer": 45})
    final, reason = stage, None
    if stage == "customer" and rng.random() < 0.09:
        final, reason = "churned", rng.choice(texts.CUSTOMER_CHURNED)
    elif stage == "lead" and not pooled and rng.random() < 0.12:
        final, reason = "lost", rng.choice(texts.LEAD_LOST)
    scale = _pareto(rng)
    tags = []
    if rng.random() < 0.06:
        tags.append("trade-fair-2026")
    if scale > 8:
        tags.append("key-account")
    if locale == "en":
        tags.append("overseas")
    customer = CustomerPlan(
        index=index,
        company=company,
        branch=branch,
        owner=owner,
        stage=stage,
        final_stage=final,
        reason=reason,
        tags=tags,
        source=_weighted(rng, SOURCES),
        scale=scale,
    )
    # Who changes hands after the import (ownership history, 003).
    if pooled and final == stage:
        roll = rng.random()
        if roll < 0.15:
            customer.ownership = ("claim", rng.choice(reps[branch]))
        elif roll < 0.25:
            customer.ownership = ("assign", rng.choice(reps[branch]))
    elif owner is not None and final == stage and rng.random() < 0.03:
        customer.ownership = ("release", owner)
    # Contacts: the main contact person is always known (the data policy requires it); a
    # contact record exists for most customers that are worked on.
    used: set[str] = set()
    main = names.person(company, used=used)
    used.add(main.name)
    customer.contact_name = main.name
    chance = {"customer": 0.65, "churned": 0.5, "prospect": 0.35, "lead": 0.15, "lost": 0.1}[final]
    if customer.worker is not None and rng.random() < chance:
        customer.contacts.append(ContactPlan(main, primary=True))
        if rng.random() < 0.15:
            second = names.person(company, used=used)
            customer.contacts.append(ContactPlan(second, primary=False))
    # Interactions over the last year, the older ones closed (immutable, 003).
    if customer.worker is not None:
        count = {"customer": 1, "churned": 1, "prospect": 1, "lead": 0, "lost": 0}[final]
        count = max(0, count + rng.choice((-1, -1, 0, 1)))
        days = sorted((rng.randint(1, 330) for _ in range(count)), reverse=True)
        if customer.ownership and customer.ownership[0] in ("claim", "assign"):
            days = [0]  # the new owner called them today
        for ago in days:
            customer.interactions.append(_interaction(rng, customer, today, ago))
    return customer


def _trade_fair(customers: Sequence[CustomerPlan], at_least: int = 5) -> None:
    """Enough visitors with contacts for the campaign to have responses, even when small."""
    visitors = [c for c in customers if "trade-fair-2026" in c.tags and c.contacts]
    for customer in customers:
        if len(visitors) >= at_least:
            return
        if customer.contacts and customer.worker and "trade-fair-2026" not in customer.tags:
            customer.tags.append("trade-fair-2026")
            visitors.append(customer)


def _interaction(
    rng: random.Random, customer: CustomerPlan, today: date, ago: int
) -> InteractionPlan:
    day = today - timedelta(days=ago)
    locale = customer.company.locale
    channel, place, content, outcome, next_step = rng.choice(texts.INTERACTIONS[locale])
    project = rng.choice(catalog.PROJECTS)
    contact = rng.randrange(len(customer.contacts)) if customer.contacts else None
    who = customer.contacts[contact].person.name if contact is not None else customer.contact_name
    if place in ("客户办公室", "Customer's office"):
        place = f"{place}, {customer.company.city.name}"
    return InteractionPlan(
        occurred_at=_at_work(rng, day),
        place=place,
        channel=channel,
        content=content.format(contact=who, project=project.zh if locale == "zh" else project.en),
        outcome=outcome,
        next_step=next_step,
        next_step_due=day + timedelta(days=rng.randint(2, 14)),
        contact=contact,
        close=ago > 7 and rng.random() < 0.4,
    )


def _opportunities(
    rng: random.Random,
    customers: Sequence[CustomerPlan],
    dims: Size,
    skill: dict[str, float],
    today: date,
) -> list[OpportunityPlan]:
    weights = {"customer": 3.0, "prospect": 2.0, "lead": 1.0, "churned": 1.2, "lost": 0.4}
    eligible = [c for c in customers if c.sells]
    pick = list(accumulate(weights[c.final_stage] * c.scale**0.3 for c in eligible))
    made: list[OpportunityPlan] = []
    names_of: dict[int, set[str]] = {}
    for index in range(dims.opportunities):
        customer = rng.choices(eligible, cum_weights=pick)[0]
        assert customer.owner is not None
        owner = customer.owner
        if customer.final_stage == "customer":
            win = 0.5 * skill[owner]
            outcome = _weighted(rng, {"won": win, "lost": 0.16, "open": max(0.1, 0.84 - win)})
        elif customer.final_stage in ("churned", "lost"):
            outcome = "lost"
        else:
            outcome = _weighted(rng, {"lost": 0.3 / skill[owner], "open": 0.7})
        project = rng.choices(catalog.PROJECTS, weights=catalog.PROJECT_WEIGHTS)[0]
        locale = customer.company.locale
        title = project.zh if locale == "zh" else project.en
        name = f"{customer.company.short} - {title}"
        taken = names_of.setdefault(customer.index, set())
        phase = 2
        while name in taken:
            suffix = f"（{phase}期）" if locale == "zh" else f" (phase {phase})"  # noqa: RUF001
            name = f"{customer.company.short} - {title}{suffix}"
            phase += 1
        taken.add(name)
        amount = _money(catalog.list_total(project, customer.scale) * Decimal(rng.uniform(0.85, 1)))
        if outcome == "open":
            stage = _weighted(
                rng, {"qualification": 35, "needs_analysis": 28, "proposal": 22, "negotiation": 15}
            )
            slipped = rng.random() < 0.06
            ahead = -rng.randint(1, 30) if slipped else rng.randint(7, 180)
            close = today + timedelta(days=ahead)
        else:
            if outcome == "won":
                stage = "negotiation"
            else:  # most deals die early
                stage = _weighted(
                    rng,
                    {"qualification": 40, "needs_analysis": 30, "proposal": 20, "negotiation": 10},
                )
            close = today - timedelta(days=rng.randint(0, 364))
        # Every deal starts in qualification and passes each stage up to where it is now, so
        # the funnel's counts shrink stage by stage.
        stages = list(OPEN_STAGES[: OPEN_STAGES.index(stage) + 1])
        made.append(
            OpportunityPlan(
                index=index,
                customer=customer.index,
                owner=owner,
                name=name,
                amount=amount,
                close_date=close,
                stages=stages,
                outcome=outcome,
                project=catalog.PROJECTS.index(project),
                lost_reason=rng.choice(texts.OPPORTUNITY_LOST) if outcome == "lost" else None,
            )
        )
    return made


def _fresh_deals(
    rng: random.Random, opportunities: Sequence[OpportunityPlan], reps: Sequence[str], today: date
) -> None:
    """Every rep has a new deal in qualification to work on (the README moves one)."""
    for rep in reps:
        mine = [o for o in opportunities if o.owner == rep]
        if not mine or any(o.outcome == "open" and o.stages == ["qualification"] for o in mine):
            continue
        deal = next((o for o in mine if o.outcome == "open"), mine[0])
        deal.outcome, deal.lost_reason, deal.stages = "open", None, ["qualification"]
        deal.close_date = today + timedelta(days=rng.randint(30, 120))


def _quotes(
    rng: random.Random,
    opportunities: Sequence[OpportunityPlan],
    customers: Sequence[CustomerPlan],
    dims: Size,
    today: date,
) -> None:
    """Quotes for deals far enough along; a won deal's quote was accepted (order placed, and a
    contract started for subscriptions); two quotes are priced below cost."""
    late = [
        o
        for o in opportunities
        if o.stages[-1] in ("proposal", "negotiation") and o.outcome != "lost"
    ]
    late += [o for o in opportunities if o.outcome == "lost" and o.stages[-1] == "negotiation"]
    chosen = rng.sample(late, min(dims.quotes, len(late)))
    for opportunity in sorted(chosen, key=lambda o: o.index):
        project = _project_of(opportunity)
        customer = customers[opportunity.customer]
        lines = [
            (
                sku,
                catalog.scaled(qty, customer.scale) if project.scales else qty,
                Decimal(rng.choice((0, 0, 5, 8, 10))),
            )
            for sku, qty in project.lines
        ]
        if opportunity.outcome == "won":
            status: Literal["draft", "sent", "accepted", "rejected"] = "accepted"
        elif opportunity.outcome == "lost":
            status = "rejected"
        else:
            status = "sent" if opportunity.stages[-1] == "negotiation" else "draft"
        quote = QuotePlan(lines=lines, status=status)
        if status == "accepted" and project.subscription is not None:
            product = catalog.BY_SKU[project.subscription]
            start = today + timedelta(days=rng.randint(1, 20))
            quote.contract = (
                product.name,
                start,
                _years(start, 1) - timedelta(days=1),
            )
        opportunity.quote = quote
    # The loss alarm (003): a big discount sells below cost. One such quote waits for a
    # manager's approval; a manager let the other one go out.
    pending = [o for o in chosen if o.quote and o.quote.status in ("draft", "sent")]
    for n, opportunity in enumerate(sorted(pending, key=lambda o: o.index)[:2]):
        assert opportunity.quote is not None
        quote = opportunity.quote
        quote.lines = [(sku, qty, _below_cost(sku)) for sku, qty, _ in quote.lines]
        quote.loss = "pending" if n == 0 else "approved"
        quote.status = "draft" if n == 0 else "sent"


def _below_cost(sku: str) -> Decimal:
    """A discount that takes the product's price under its unit cost."""
    product = catalog.BY_SKU[sku]
    return Decimal(min(95, int((1 - product.unit_cost / product.list_price) * 100) + 6))


def _project_of(opportunity: OpportunityPlan) -> catalog.Project:
    return catalog.PROJECTS[opportunity.project]


def _contracts(
    rng: random.Random, customers: Sequence[CustomerPlan], dims: Size, today: date
) -> list[ContractPlan]:
    """Subscriptions signed before the CRM: most run, some end within 30 days, some lapsed."""
    eligible = [c for c in customers if c.sells and c.final_stage == "customer"]
    chosen = rng.sample(eligible, min(dims.contracts, len(eligible)))
    made = []
    for index, customer in enumerate(sorted(chosen, key=lambda c: c.index)):
        assert customer.owner is not None
        sku = rng.choice(("WMS-CLOUD", "SVC-MAINT", "SVC-MAINT", "SVC-PREM"))
        product = catalog.BY_SKU[sku]
        when = _weighted(rng, {"lapsed": 15, "expiring": 20, "running": 65})
        if when == "lapsed":
            end = today - timedelta(days=rng.randint(1, 60))
        elif when == "expiring":
            end = today + timedelta(days=rng.randint(0, 30))
        else:
            end = today + timedelta(days=rng.randint(31, 330))
        start = _years(end, -1) + timedelta(days=1)
        sites = catalog.scaled(1, customer.scale**0.5)
        made.append(
            ContractPlan(
                index=index,
                customer=customer.index,
                seller=customer.owner,
                name=f"{product.name} ({customer.company.short})",
                start=start,
                end=end,
                amount=product.list_price * sites,
                renew=when == "running" and rng.random() < 0.1,
            )
        )
    return made


def _tasks(
    rng: random.Random,
    customers: Sequence[CustomerPlan],
    opportunities: Sequence[OpportunityPlan],
    dims: Size,
    today: date,
) -> list[TaskPlan]:
    """Calls, visits, e-mails and meetings: done ones in the past, some overdue, some ahead."""
    open_deals: dict[int, list[OpportunityPlan]] = {}
    for o in opportunities:
        if o.outcome == "open":
            open_deals.setdefault(o.customer, []).append(o)
    eligible = [c for c in customers if c.sells and c.final_stage not in ("churned", "lost")]
    made: list[TaskPlan] = []
    planned: set[tuple[int, str, datetime]] = set()  # what tells two tasks apart
    while len(made) < dims.tasks:
        index = len(made)
        customer = rng.choice(eligible)
        assert customer.owner is not None
        locale = customer.company.locale
        method = _weighted(rng, {"call": 40, "visit": 25, "email": 20, "meeting": 15})
        subject = rng.choice(texts.TASKS[locale][method]).format(customer=customer.company.short)
        when = _weighted(rng, {"done": 45, "overdue": 15, "ahead": 40})
        ago = rng.randint(1, 60) if when != "ahead" else -rng.randint(0, 30)
        start = _at_work(rng, today - timedelta(days=ago))
        if (customer.index, subject, start) in planned:
            continue
        planned.add((customer.index, subject, start))
        deals = open_deals.get(customer.index, [])
        made.append(
            TaskPlan(
                index=index,
                customer=customer.index,
                assignee=customer.owner,
                subject=subject,
                method=method,
                start_at=start,
                duration_minutes=rng.choice((30, 30, 60, 60, 90, 120)),
                reminder_at=start - timedelta(minutes=30) if when == "ahead" else None,
                contact=rng.randrange(len(customer.contacts)) if customer.contacts else None,
                opportunity=rng.choice(deals).index if deals and rng.random() < 0.6 else None,
                outcome=rng.choice(texts.TASK_OUTCOMES[locale]) if when == "done" else None,
            )
        )
    return made


def _expenses(
    rng: random.Random, customers: Sequence[CustomerPlan], dims: Size, today: date
) -> list[ExpensePlan]:
    """Spent on customers: today's are approved at once; older ones wait for a manager
    (recorded late, 000), who approves most and rejects a few."""
    eligible = [c for c in customers if c.sells and c.contacts]
    made: list[ExpensePlan] = []
    spent: set[tuple[int, date, Decimal, str]] = set()  # what tells two expenses apart
    while len(made) < dims.expenses:
        customer = rng.choice(eligible)
        assert customer.owner is not None
        category, low, high, description = rng.choice(texts.EXPENSES[customer.company.locale])
        late = rng.random() < 0.6
        decision: Literal["approve", "reject"] | None = None
        if late:
            decision = _weighted(rng, {"approve": 80, "reject": 8, None: 12})
        amount = _money(rng.uniform(low, high), 10)
        day = today - timedelta(days=rng.randint(1, 45)) if late else today
        if (customer.index, day, amount, category) in spent:
            continue
        spent.add((customer.index, day, amount, category))
        made.append(
            ExpensePlan(
                index=len(made),
                customer=customer.index,
                contact=rng.randrange(len(customer.contacts)),
                recorder=customer.owner,
                amount=amount,
                category=category,
                incurred_on=day,
                description=description,
                decision=decision,
                decider=f"{customer.branch}-mgr",
            )
        )
    return made


def _assets(
    rng: random.Random, customers: Sequence[CustomerPlan], dims: Size, today: date
) -> list[AssetPlan]:
    eligible = [c for c in customers if c.final_stage == "customer" and c.worker is not None]
    chosen = rng.sample(eligible, min(len(eligible), max(4, dims.tickets // 3)))
    made = []
    for index, customer in enumerate(sorted(chosen, key=lambda c: c.index)):
        sku = rng.choice(sorted(catalog.DEVICES))
        bought = today - timedelta(days=rng.randint(60, 1400))
        warranty = _years(bought, catalog.DEVICES[sku]) - timedelta(days=1)
        serial = f"{sku.replace('-', '')}-{rng.randint(0, 99_999_999):08d}"
        made.append(
            AssetPlan(index, customer.index, catalog.BY_SKU[sku].name, serial, bought, warranty)
        )
    return made


def _tickets(
    rng: random.Random, customers: Sequence[CustomerPlan], assets: Sequence[AssetPlan], dims: Size
) -> list[TicketPlan]:
    """Service requests by phone, e-mail and the portal, in every status; resolved ones are
    often rated through the portal."""
    eligible = [c for c in customers if c.final_stage == "customer" and c.worker is not None]
    assets_of: dict[int, list[int]] = {}
    for registered in assets:
        assets_of.setdefault(registered.customer, []).append(registered.index)
    with_assets = [c for c in eligible if c.index in assets_of]
    made: list[TicketPlan] = []
    asked: set[tuple[int, str]] = set()  # one ticket per customer and subject
    north = [c for c in eligible if c.branch == "north"]
    reachable = [c for c in eligible if c.contacts]
    breaching = max(2, dims.tickets // 40)
    while len(made) < dims.tickets:
        index = len(made)
        customer = rng.choice(with_assets if rng.random() < 0.4 and with_assets else eligible)
        if index < breaching:
            customer = rng.choice(north)
        elif index < breaching + 2:
            customer = rng.choice(reachable)  # asks through the portal, see below
        locale = customer.company.locale
        category, subject, description = rng.choice(texts.TICKETS[locale])
        if (customer.index, subject) in asked:
            continue
        asked.add((customer.index, subject))
        contact = rng.randrange(len(customer.contacts)) if customer.contacts else None
        channel: Literal["phone", "email", "portal"] = _weighted(
            rng, {"phone": 40, "email": 30, "portal": 30 if contact is not None else 0}
        )
        status = _weighted(
            rng, {"new": 10, "open": 20, "pending": 10, "resolved": 35, "closed": 25}
        )
        priority = _weighted(rng, {"low": 20, "normal": 50, "high": 20, "urgent": 10})
        if index < breaching:
            # Urgent calls to the north's round-the-clock hotline nobody has answered yet:
            # they breach their SLA minutes after the seed (tickets cannot be back-dated).
            status, priority, channel = "new", "urgent", "phone"
        elif index < breaching + 2:
            # Every size has portal requests, solved and rated by the customer's contact.
            status, priority, channel = "resolved", "normal", "portal"
        own_assets = assets_of.get(customer.index)
        asset = rng.choice(own_assets) if own_assets and category == "hardware" else None
        survey = None
        rated = rng.random() < 0.7 or channel == "portal"
        if status in ("resolved", "closed") and contact is not None and rated:
            score = _weighted(rng, {5: 45, 4: 30, 3: 12, 2: 8, 1: 5})
            survey = (score, rng.choice(texts.SURVEY_COMMENTS[score][locale]))
        reply = None
        if status != "new" and (status in ("open", "pending") or rng.random() < 0.6):
            reply = rng.choice(texts.AGENT_REPLIES[locale])
        made.append(
            TicketPlan(
                index=index,
                customer=customer.index,
                contact=contact,
                asset=asset,
                subject=subject,
                description=description,
                category=category,
                priority=priority,
                channel=channel,
                agent="agent" if customer.branch == "north" else "south-agent",
                status=status,
                reply=reply,
                survey=survey,
            )
        )
    return made


def _segments(customers: Sequence[CustomerPlan]) -> list[SegmentPlan]:
    fair = [c.index for c in customers if "trade-fair-2026" in c.tags]
    return [
        SegmentPlan(
            "north-manufacturing",
            "North: manufacturing customers",
            "filter",
            {"branch_id": "north", "industry": "manufacturing", "lifecycle_stage": "customer"},
        ),
        SegmentPlan(
            "logistics-prospects",
            "Logistics prospects",
            "filter",
            {"industry": "logistics", "lifecycle_stage": "prospect"},
        ),
        SegmentPlan("churned", "Churned: win back", "filter", {"lifecycle_stage": "churned"}),
        SegmentPlan(
            "pool-south",
            "South pool leads",
            "filter",
            {"branch_id": "south", "in_pool": True, "lifecycle_stage": "lead"},
        ),
        SegmentPlan("key-accounts", "Key accounts", "filter", {"tag": "key-account"}),
        SegmentPlan("trade-fair", "Trade fair 2026 visitors", "static", members=fair),
    ]


def _campaign(
    rng: random.Random,
    customers: Sequence[CustomerPlan],
    segment: SegmentPlan,
    opportunities: Sequence[OpportunityPlan],
    today: date,
) -> CampaignPlan:
    """The trade fair follow-up: responses from the visitors' contacts, and the deals they
    opened since attributed to it."""
    start, end = today - timedelta(days=75), today - timedelta(days=15)
    responses = []
    for index in segment.members:
        customer = customers[index]
        for contact in range(len(customer.contacts)):
            if customer.worker is None or rng.random() > 0.75:
                continue
            at = _at_work(rng, start + timedelta(days=rng.randint(0, 20)))
            responses.append(ResponsePlan(index, contact, "opened", at))
            for kind, chance in (("replied", 0.4), ("interested", 0.5), ("unsubscribed", 0.05)):
                if rng.random() < chance:
                    at += timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 8))
                    responses.append(ResponsePlan(index, contact, kind, at))
                    if kind == "unsubscribed":
                        break
    members = set(segment.members)
    for opportunity in opportunities:
        if opportunity.customer in members and rng.random() < 0.8:
            opportunity.campaign = True
    budget = _money(80000 * math.sqrt(max(1, len(members)) / 12), 1000)
    return CampaignPlan(
        "Trade fair 2026 follow-up", segment.key, "email", budget, start, end, responses
    )
