"""Every kind of entity the reports need, and what each adds to the pre-aggregated tables.

An entity's contributions depend on its current state only; when an event changes the
state, the flush subtracts the old contributions and adds the new ones, so a bucket always
holds exactly the entities that belong to it now (an opportunity moving from `proposal` to
`negotiation` leaves one bucket and enters the other). Key values that are absent are `''`.

Months are calendar months in UTC of the moment that places the entity in a period:
created (funnel, growth), expected close (pipeline), closed (win rate, sales, revenue),
confirmed (product sales), incurred (expenses), opened (service), start / completion /
due (tasks), occurred (interactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from crm_reporting.domain.state import Aggregate, Contribution, EntityKind, State

ZERO = Decimal(0)
REASON_LENGTH = 200

# --- aggregates --------------------------------------------------------------------------

_OWNED = ("tenant_id", "branch_id", "owner_id", "month")

CUSTOMERS = Aggregate(
    "customer_stage_counts",
    ("tenant_id", "branch_id", "owner_id", "lifecycle_stage"),
    ("customers", "filled_fields", "known_fields"),
)
CUSTOMER_FLOW = Aggregate("agg_customer_flow", (*_OWNED, "kind", "reason"), ("customers",))
PIPELINE = Aggregate(
    "agg_pipeline", (*_OWNED, "stage", "currency"), ("opportunities", "amount", "weighted")
)
FUNNEL = Aggregate(
    "agg_funnel",
    (*_OWNED, "stage", "currency"),
    ("entered", "entered_amount", "in_stage", "in_stage_amount"),
)
CLOSED = Aggregate(
    "agg_closed", (*_OWNED, "outcome", "currency"), ("opportunities", "amount", "cycle_days")
)
CUSTOMER_MONEY = Aggregate(
    "agg_customer_money",
    ("tenant_id", "customer_id", "month", "currency"),
    ("entries", "revenue", "won_deals", "expenses"),
)
# Moved by `adapters.customer_value`, not by entity contributions: per tenant, branch, owner
# and currency, the customers with money, the sums, and the customers with revenue known
# so far only through other services' events (not counted by `customer_stage_counts`).
CUSTOMER_VALUE = Aggregate(
    "agg_customer_value",
    ("tenant_id", "branch_id", "owner_id", "currency"),
    ("customers", "revenue", "expenses", "placeholders"),
)
CAMPAIGN_OPPS = Aggregate(
    "agg_campaign_opportunities",
    ("tenant_id", "campaign_id", "branch_id", "owner_id", "month", "currency"),
    ("opportunities", "won", "won_amount"),
)
CAMPAIGN_TOUCHES = Aggregate(
    "agg_campaign_touches",
    ("tenant_id", "campaign_id", "branch_id", "month", "kind"),
    ("touches",),
)
PRODUCTS = Aggregate(
    "agg_product_sales",
    (*_OWNED, "product_id", "currency"),
    ("lines", "quantity", "net_amount", "cost"),
)
QUOTES = Aggregate(
    "agg_quotes", (*_OWNED, "status", "currency"), ("quotes", "total", "loss_alarms")
)
CONTRACTS = Aggregate("agg_contracts", (*_OWNED, "status", "currency"), ("contracts", "amount"))
ACTIVITY = Aggregate(
    "agg_rep_activity",
    _OWNED,
    ("entries", "interactions", "tasks_planned", "tasks_done", "tasks_done_late", "tasks_overdue"),
)
SERVICE = Aggregate(
    "agg_service",
    (*_OWNED, "priority"),
    (
        "tickets",
        "responded",
        "response_seconds",
        "resolved",
        "resolve_seconds",
        "first_response_breached",
        "resolution_breached",
        "breached",
        "csat_answers",
        "csat_sum",
    ),
)

AGGREGATES = {
    a.name: a
    for a in (
        CUSTOMERS,
        CUSTOMER_FLOW,
        PIPELINE,
        FUNNEL,
        CLOSED,
        CUSTOMER_MONEY,
        CUSTOMER_VALUE,
        CAMPAIGN_OPPS,
        CAMPAIGN_TOUCHES,
        PRODUCTS,
        QUOTES,
        CONTRACTS,
        ACTIVITY,
        SERVICE,
    )
}


def month_of(moment: date | datetime) -> date:
    """First day of the (UTC) calendar month of `moment`."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def weighted(amount: Decimal, probability: int | None) -> Decimal:
    """Amount times probability: what an open opportunity adds to the forecast."""
    return amount * (probability or 0) / 100


def _seconds(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(int((end - start).total_seconds()), 0)


# --- contributions -------------------------------------------------------------------------


def _customer(s: State) -> Iterator[Contribution]:
    if s["deleted"]:
        return
    t, b, o = s["tenant_id"], s["branch_id"] or "", s["owner_id"] or ""
    # Completeness counts the standard fields events have stated (filled or empty), not all
    # ten: a field no event mentioned is unknown here, not empty.
    reported = s["filled"] or {}
    filled = sum(1 for present in reported.values() if present)
    yield CUSTOMERS.name, (t, b, o, s["lifecycle_stage"] or ""), (1, filled, len(reported))
    if s["created_at"] is not None:
        yield CUSTOMER_FLOW.name, (t, b, o, month_of(s["created_at"]), "created", ""), (1,)
    if s["became_customer_at"] is not None:
        month = month_of(s["became_customer_at"])
        yield CUSTOMER_FLOW.name, (t, b, o, month, "converted", ""), (1,)
    stage = s["lifecycle_stage"]
    if stage in ("churned", "lost") and s["stage_changed_at"] is not None:
        reason = (s["stage_reason"] or "")[:REASON_LENGTH]
        yield CUSTOMER_FLOW.name, (t, b, o, month_of(s["stage_changed_at"]), stage, reason), (1,)


def _opportunity(s: State) -> Iterator[Contribution]:
    t, b, o = s["tenant_id"], s["branch_id"] or "", s["owner_id"] or ""
    currency = s["currency"] or ""
    amount = s["amount"] if s["amount"] is not None else ZERO
    stage, status = s["stage"] or "", s["status"]
    if status == "open" and s["expected_close_date"] is not None:
        pipeline = (t, b, o, month_of(s["expected_close_date"]), stage, currency)
        yield PIPELINE.name, pipeline, (1, amount, weighted(amount, s["probability"]))
    created = s["created_at"]
    if created is not None:
        month = month_of(created)
        for entered in sorted(set(s["stages"] or ()) | {stage}):
            here = entered == stage
            yield (
                FUNNEL.name,
                (t, b, o, month, entered, currency),
                (1, amount, int(here), amount if here else ZERO),
            )
    won = status == "won"
    if status in ("won", "lost") and s["closed_on"] is not None:
        closed: date = s["closed_on"]
        cycle = (closed - created.astimezone(UTC).date()).days if created is not None else 0
        yield CLOSED.name, (t, b, o, month_of(closed), status, currency), (1, amount, cycle)
        if won and s["customer_id"] is not None:
            money = (t, s["customer_id"], month_of(closed), currency)
            yield CUSTOMER_MONEY.name, money, (1, amount, 1, ZERO)
    if s["campaign_id"] is not None and created is not None:
        campaign = (t, s["campaign_id"], b, o, month_of(created), currency)
        yield CAMPAIGN_OPPS.name, campaign, (1, int(won), amount if won else ZERO)


def _quote(s: State) -> Iterator[Contribution]:
    if s["created_at"] is None:
        return
    key = (
        s["tenant_id"],
        s["branch_id"] or "",
        s["owner_id"] or "",
        month_of(s["created_at"]),
        s["status"] or "",
        s["currency"] or "",
    )
    yield QUOTES.name, key, (1, s["total"] or ZERO, int(bool(s["loss_alarm"])))


def _order(s: State) -> Iterator[Contribution]:
    if s["status"] != "confirmed" or s["confirmed_at"] is None:
        return
    t, b, o = s["tenant_id"], s["branch_id"] or "", s["owner_id"] or ""
    month, currency = month_of(s["confirmed_at"]), s["currency"] or ""
    for line in s["lines"] or ():
        yield (
            PRODUCTS.name,
            (t, b, o, month, UUID(line["product_id"]), currency),
            (1, Decimal(line["quantity"]), Decimal(line["net_amount"]), Decimal(line["cost"])),
        )


def _contract(s: State) -> Iterator[Contribution]:
    if s["end_date"] is None:
        return
    key = (
        s["tenant_id"],
        s["branch_id"] or "",
        s["owner_id"] or "",
        month_of(s["end_date"]),
        s["status"] or "",
        s["currency"] or "",
    )
    yield CONTRACTS.name, key, (1, s["amount"] or ZERO)


def _task(s: State) -> Iterator[Contribution]:
    t, b, o = s["tenant_id"], s["branch_id"] or "", s["assignee_id"] or ""
    if s["start_at"] is not None:
        yield ACTIVITY.name, (t, b, o, month_of(s["start_at"])), (1, 0, 1, 0, 0, 0)
    done, due, reminded = s["completed_at"], s["due_at"], s["overdue_due_at"]
    if done is not None:
        late = int(due is not None and done > due)
        yield ACTIVITY.name, (t, b, o, month_of(done)), (1, 0, 0, 1, late, 0)
    elif due is not None and reminded is not None and reminded >= due:
        yield ACTIVITY.name, (t, b, o, month_of(due)), (1, 0, 0, 0, 0, 1)


def _interaction(s: State) -> Iterator[Contribution]:
    if s["occurred_at"] is None:
        return
    key = (s["tenant_id"], s["branch_id"] or "", s["author_id"] or "", month_of(s["occurred_at"]))
    yield ACTIVITY.name, key, (1, 1, 0, 0, 0, 0)


def _expense(s: State) -> Iterator[Contribution]:
    if s["status"] != "approved" or s["customer_id"] is None or s["incurred_on"] is None:
        return
    key = (s["tenant_id"], s["customer_id"], month_of(s["incurred_on"]), s["currency"] or "")
    yield CUSTOMER_MONEY.name, key, (1, ZERO, 0, s["amount"] or ZERO)


def ticket_breaches(s: State) -> tuple[bool, bool]:
    """(first response, resolution) breached: the service desk said so, or the clock was met
    after its last known deadline."""
    first, resolved = s["first_response_at"], s["resolved_at"]
    first_due, resolution_due = s["first_response_due"], s["resolution_due"]
    first_late = first is not None and first_due is not None and first > first_due
    resolved_late = (
        resolved is not None and resolution_due is not None and resolved > resolution_due
    )
    return (
        bool(s["first_response_breached"]) or first_late,
        bool(s["resolution_breached"]) or resolved_late,
    )


def _ticket(s: State) -> Iterator[Contribution]:
    opened = s["opened_at"]
    if opened is None:
        return
    first, resolved = s["first_response_at"], s["resolved_at"]
    first_breached, resolution_breached = ticket_breaches(s)
    scores = [int(v) for v in (s["surveys"] or {}).values()]
    key = (
        s["tenant_id"],
        s["branch_id"] or "",
        s["assignee_id"] or "",
        month_of(opened),
        s["priority"] or "",
    )
    yield (
        SERVICE.name,
        key,
        (
            1,
            int(first is not None),
            _seconds(opened, first),
            int(resolved is not None),
            _seconds(opened, resolved),
            int(first_breached),
            int(resolution_breached),
            int(first_breached or resolution_breached),
            len(scores),
            sum(scores),
        ),
    )


def _touch(s: State) -> Iterator[Contribution]:
    if s["at"] is None:
        return
    key = (s["tenant_id"], s["campaign_id"], s["branch_id"] or "", month_of(s["at"]), s["kind"])
    yield CAMPAIGN_TOUCHES.name, key, (s["weight"] or 0,)


def _nothing(s: State) -> Iterator[Contribution]:
    return iter(())


CUSTOMER = EntityKind(
    "customer_facts",
    ("tenant_id", "customer_id"),
    (
        "known",
        "branch_id",
        "owner_id",
        "name",
        "lifecycle_stage",
        "stage_reason",
        "stage_changed_at",
        "created_at",
        "became_customer_at",
        "deleted",
        "filled",
    ),
    _customer,
    {"known": False, "deleted": False, "filled": {}},
)
OPPORTUNITY = EntityKind(
    "opportunities",
    ("tenant_id", "opportunity_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "owner_id",
        "name",
        "stage",
        "probability",
        "status",
        "amount",
        "currency",
        "expected_close_date",
        "created_at",
        "closed_on",
        "lost_reason",
        "campaign_id",
        "stages",
    ),
    _opportunity,
    {"known": False, "stages": {}},
)
QUOTE = EntityKind(
    "quotes",
    ("tenant_id", "quote_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "owner_id",
        "opportunity_id",
        "status",
        "total",
        "margin",
        "currency",
        "loss_alarm",
        "created_at",
    ),
    _quote,
    {"known": False, "loss_alarm": False},
)
ORDER = EntityKind(
    "orders",
    ("tenant_id", "order_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "owner_id",
        "status",
        "total",
        "cost",
        "currency",
        "lines",
        "confirmed_at",
    ),
    _order,
    {"known": False, "lines": []},
)
PRODUCT = EntityKind(
    "products", ("tenant_id", "product_id"), ("known", "sku", "name"), _nothing, {"known": False}
)
CONTRACT = EntityKind(
    "contracts",
    ("tenant_id", "contract_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "owner_id",
        "name",
        "start_date",
        "end_date",
        "amount",
        "currency",
        "status",
    ),
    _contract,
    {"known": False},
)
TASK = EntityKind(
    "tasks",
    ("tenant_id", "task_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "assignee_id",
        "start_at",
        "due_at",
        "completed_at",
        "overdue_due_at",
    ),
    _task,
    {"known": False},
)
INTERACTION = EntityKind(
    "interactions",
    ("tenant_id", "interaction_id"),
    ("known", "customer_id", "branch_id", "author_id", "occurred_at", "channel", "closed"),
    _interaction,
    {"known": False, "closed": False},
)
EXPENSE = EntityKind(
    "expenses",
    ("tenant_id", "expense_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "owner_id",
        "amount",
        "currency",
        "category",
        "incurred_on",
        "status",
    ),
    _expense,
    {"known": False},
)
TICKET = EntityKind(
    "tickets",
    ("tenant_id", "ticket_id"),
    (
        "known",
        "customer_id",
        "branch_id",
        "assignee_id",
        "priority",
        "status",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "first_response_due",
        "resolution_due",
        "first_response_breached",
        "resolution_breached",
        "surveys",
    ),
    _ticket,
    {
        "known": False,
        "first_response_breached": False,
        "resolution_breached": False,
        "surveys": {},
    },
)
CAMPAIGN = EntityKind(
    "campaigns",
    ("tenant_id", "campaign_id"),
    ("known", "name", "channel", "budget", "currency", "start_date", "end_date"),
    _nothing,
    {"known": False},
)
TOUCH = EntityKind(
    "campaign_touches",
    ("tenant_id", "campaign_id", "kind", "ref"),
    ("known", "branch_id", "at", "weight"),
    _touch,
    {"known": False, "weight": 1},
)
PIPELINE_CONFIG = EntityKind(
    "pipelines", ("tenant_id",), ("known", "stages"), _nothing, {"known": False, "stages": []}
)

# Flush order: a fixed order keeps row locks in one order across concurrent consumers.
KINDS = {
    k.name: k
    for k in (
        PIPELINE_CONFIG,
        CUSTOMER,
        PRODUCT,
        CAMPAIGN,
        OPPORTUNITY,
        QUOTE,
        ORDER,
        CONTRACT,
        TASK,
        INTERACTION,
        EXPENSE,
        TICKET,
        TOUCH,
    )
}
