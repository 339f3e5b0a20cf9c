"""Tables of the reporting database.

Three families:

* **Entity state** (one row per customer, opportunity, ticket, ...): what the events said
  about each entity, with `versions` holding the sequence each group of fields was last set
  at, so a duplicate or an older event never overwrites a newer fact (see `domain.state`).
  `known` is false for a placeholder made by another entity's event (an expense or a won
  deal before its customer's `created`): it is completed when the entity's own event comes.
* **Aggregates** (`agg_*`): sums per tenant, branch, owner, month and a few more keys,
  moved by deltas whenever an entity row changes bucket. Reports read these, so their cost
  follows the number of buckets, not the number of events.
* **The service's own records**, which a rebuild leaves alone: forecast snapshots, the
  forecast quality bar, rebuild jobs.

Key columns are NOT NULL: an absent branch, owner or currency is stored as `''`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})

MONEY = Numeric(18, 2)
WEIGHTED = Numeric(22, 4)


def _tenant() -> Column[str]:
    return Column("tenant_id", String(64), primary_key=True)


def _versions() -> Column[dict[str, int]]:
    return Column("versions", JSONB, nullable=False, server_default=text("'{}'::jsonb"))


def _known() -> Column[bool]:
    return Column("known", Boolean, nullable=False, server_default=text("false"))


def _dim(name: str, length: int = 64) -> Column[str]:
    return Column(name, String(length), primary_key=True)


# --- entity state ----------------------------------------------------------------------

customer_facts = Table(
    "customer_facts",
    metadata,
    _tenant(),
    Column("customer_id", Uuid, primary_key=True),
    _known(),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("name", Text),
    Column("lifecycle_stage", String(16)),
    Column("stage_reason", Text),
    Column("stage_changed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True)),
    Column("became_customer_at", DateTime(timezone=True)),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("filled", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _versions(),
)
Index("ix_customer_facts_tenant_owner", customer_facts.c.tenant_id, customer_facts.c.owner_id)

opportunities = Table(
    "opportunities",
    metadata,
    _tenant(),
    Column("opportunity_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("name", Text),
    Column("stage", String(40)),
    Column("probability", Integer),
    Column("status", String(8)),
    Column("amount", MONEY),
    Column("currency", String(3)),
    Column("expected_close_date", Date),
    Column("created_at", DateTime(timezone=True)),
    Column("closed_on", Date),
    Column("lost_reason", Text),
    Column("campaign_id", Uuid),
    # Every stage the opportunity ever entered: {"proposal": true, ...} (the funnel).
    Column("stages", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _versions(),
)
Index("ix_opportunities_tenant_status", opportunities.c.tenant_id, opportunities.c.status)

opportunity_stage_history = Table(
    "opportunity_stage_history",
    metadata,
    _tenant(),
    Column("opportunity_id", Uuid, primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("old_stage", String(40)),
    Column("new_stage", String(40), nullable=False),
    Column("probability", Integer),
    Column("amount", MONEY),
    Column("currency", String(3)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(128)),
)

quotes = Table(
    "quotes",
    metadata,
    _tenant(),
    Column("quote_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("opportunity_id", Uuid),
    Column("status", String(16)),
    Column("total", MONEY),
    Column("margin", MONEY),
    Column("currency", String(3)),
    Column("loss_alarm", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True)),
    _versions(),
)

orders = Table(
    "orders",
    metadata,
    _tenant(),
    Column("order_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("status", String(24)),
    Column("total", MONEY),
    Column("cost", MONEY),
    Column("currency", String(3)),
    # [{"product_id", "quantity", "net_amount", "cost"}], as confirmed.
    Column("lines", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("confirmed_at", DateTime(timezone=True)),
    _versions(),
)

products = Table(
    "products",
    metadata,
    _tenant(),
    Column("product_id", Uuid, primary_key=True),
    _known(),
    Column("sku", String(64)),
    Column("name", Text),
    _versions(),
)

contracts = Table(
    "contracts",
    metadata,
    _tenant(),
    Column("contract_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("name", Text),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("amount", MONEY),
    Column("currency", String(3)),
    Column("status", String(16)),
    _versions(),
)

tasks = Table(
    "tasks",
    metadata,
    _tenant(),
    Column("task_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("assignee_id", String(128)),
    Column("start_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    # The latest due moment a task.overdue reminder was about: overdue while it is the
    # task's current due moment and the task is not done (rescheduling ends it).
    Column("overdue_due_at", DateTime(timezone=True)),
    _versions(),
)

interactions = Table(
    "interactions",
    metadata,
    _tenant(),
    Column("interaction_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("author_id", String(128)),
    Column("occurred_at", DateTime(timezone=True)),
    Column("channel", Text),
    Column("closed", Boolean, nullable=False, server_default=text("false")),
    _versions(),
)

expenses = Table(
    "expenses",
    metadata,
    _tenant(),
    Column("expense_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("owner_id", String(128)),
    Column("amount", MONEY),
    Column("currency", String(3)),
    Column("category", String(16)),
    Column("incurred_on", Date),
    Column("status", String(24)),
    _versions(),
)

tickets = Table(
    "tickets",
    metadata,
    _tenant(),
    Column("ticket_id", Uuid, primary_key=True),
    _known(),
    Column("customer_id", Uuid),
    Column("branch_id", String(64)),
    Column("assignee_id", String(128)),
    Column("priority", String(8)),
    Column("status", String(16)),
    Column("opened_at", DateTime(timezone=True)),
    Column("first_response_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("first_response_due", DateTime(timezone=True)),
    Column("resolution_due", DateTime(timezone=True)),
    Column("first_response_breached", Boolean, nullable=False, server_default=text("false")),
    Column("resolution_breached", Boolean, nullable=False, server_default=text("false")),
    # CSAT answers of this ticket's surveys: {"<survey id>": score}.
    Column("surveys", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _versions(),
)

campaigns = Table(
    "campaigns",
    metadata,
    _tenant(),
    Column("campaign_id", Uuid, primary_key=True),
    _known(),
    Column("name", Text),
    Column("channel", String(16)),
    Column("budget", MONEY),
    Column("currency", String(3)),
    Column("start_date", Date),
    Column("end_date", Date),
    _versions(),
)

# Who reached or answered a campaign, once each: a contact's response of a kind, an e-mail
# sent, a mailing queued, an unsubscribe. `weight` is what it counts for (a mailing: queued).
campaign_touches = Table(
    "campaign_touches",
    metadata,
    _tenant(),
    Column("campaign_id", Uuid, primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("ref", String(64), primary_key=True),
    _known(),
    Column("branch_id", String(64)),
    Column("at", DateTime(timezone=True)),
    Column("weight", Integer, nullable=False, server_default=text("1")),
    _versions(),
)

pipelines = Table(
    "pipelines",
    metadata,
    _tenant(),
    _known(),
    # [{"key", "name", "probability", "outcome"}] in pipeline order.
    Column("stages", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    _versions(),
)

# --- aggregates ----------------------------------------------------------------------------


def _aggregate(name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, _tenant(), *columns)


agg_customers = _aggregate(
    "customer_stage_counts",
    _dim("branch_id"),
    _dim("owner_id", 128),
    _dim("lifecycle_stage", 16),
    Column("customers", BigInteger, nullable=False),
    Column("filled_fields", BigInteger, nullable=False),
    Column("known_fields", BigInteger, nullable=False),
)
agg_customer_flow = _aggregate(
    "agg_customer_flow",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("kind", 16),
    _dim("reason", 200),
    Column("customers", BigInteger, nullable=False),
)
agg_pipeline = _aggregate(
    "agg_pipeline",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("stage", 40),
    _dim("currency", 3),
    Column("opportunities", BigInteger, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("weighted", WEIGHTED, nullable=False),
)
agg_funnel = _aggregate(
    "agg_funnel",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("stage", 40),
    _dim("currency", 3),
    Column("entered", BigInteger, nullable=False),
    Column("entered_amount", MONEY, nullable=False),
    Column("in_stage", BigInteger, nullable=False),
    Column("in_stage_amount", MONEY, nullable=False),
)
agg_closed = _aggregate(
    "agg_closed",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("outcome", 8),
    _dim("currency", 3),
    Column("opportunities", BigInteger, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("cycle_days", BigInteger, nullable=False),
)
agg_customer_money = _aggregate(
    "agg_customer_money",
    Column("customer_id", Uuid, primary_key=True),
    Column("month", Date, primary_key=True),
    _dim("currency", 3),
    Column("entries", BigInteger, nullable=False),
    Column("revenue", MONEY, nullable=False),
    Column("won_deals", BigInteger, nullable=False),
    Column("expenses", MONEY, nullable=False),
)
# Each customer's all-time money per currency, in rank order (`adapters.customer_value`):
# the value pyramid and profitability read the top rows instead of summing every customer.
customer_value = Table(
    "customer_value",
    metadata,
    _tenant(),
    Column("customer_id", Uuid, primary_key=True),
    _dim("currency", 3),
    Column("branch_id", String(64), nullable=False),
    Column("owner_id", String(128), nullable=False),
    Column("name", Text),
    Column("known", Boolean, nullable=False),
    Column("entries", BigInteger, nullable=False),
    Column("revenue", MONEY, nullable=False),
    Column("expenses", MONEY, nullable=False),
    Column("profit", MONEY, nullable=False),  # revenue - expenses, for its index
)
_RANKED = (customer_value.c.revenue.desc(), customer_value.c.customer_id)
Index("ix_customer_value_rank", customer_value.c.tenant_id, customer_value.c.currency, *_RANKED)
Index(
    "ix_customer_value_branch_rank",
    customer_value.c.tenant_id,
    customer_value.c.currency,
    customer_value.c.branch_id,
    *_RANKED,
)
Index(
    "ix_customer_value_owner_rank",
    customer_value.c.tenant_id,
    customer_value.c.currency,
    customer_value.c.owner_id,
    *_RANKED,
)
Index(
    "ix_customer_value_profit",
    customer_value.c.tenant_id,
    customer_value.c.profit.desc(),
    customer_value.c.customer_id,
)
agg_customer_value = _aggregate(
    "agg_customer_value",
    _dim("branch_id"),
    _dim("owner_id", 128),
    _dim("currency", 3),
    Column("customers", BigInteger, nullable=False),
    Column("revenue", MONEY, nullable=False),
    Column("expenses", MONEY, nullable=False),
    Column("placeholders", BigInteger, nullable=False),
)
agg_campaign_opps = _aggregate(
    "agg_campaign_opportunities",
    Column("campaign_id", Uuid, primary_key=True),
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("currency", 3),
    Column("opportunities", BigInteger, nullable=False),
    Column("won", BigInteger, nullable=False),
    Column("won_amount", MONEY, nullable=False),
)
agg_campaign_touches = _aggregate(
    "agg_campaign_touches",
    Column("campaign_id", Uuid, primary_key=True),
    _dim("branch_id"),
    Column("month", Date, primary_key=True),
    _dim("kind", 32),
    Column("touches", BigInteger, nullable=False),
)
agg_products = _aggregate(
    "agg_product_sales",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    Column("product_id", Uuid, primary_key=True),
    _dim("currency", 3),
    Column("lines", BigInteger, nullable=False),
    Column("quantity", Numeric(18, 4), nullable=False),
    Column("net_amount", MONEY, nullable=False),
    Column("cost", MONEY, nullable=False),
)
agg_quotes = _aggregate(
    "agg_quotes",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("status", 16),
    _dim("currency", 3),
    Column("quotes", BigInteger, nullable=False),
    Column("total", MONEY, nullable=False),
    Column("loss_alarms", BigInteger, nullable=False),
)
agg_contracts = _aggregate(
    "agg_contracts",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("status", 16),
    _dim("currency", 3),
    Column("contracts", BigInteger, nullable=False),
    Column("amount", MONEY, nullable=False),
)
agg_activity = _aggregate(
    "agg_rep_activity",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    Column("entries", BigInteger, nullable=False),
    Column("interactions", BigInteger, nullable=False),
    Column("tasks_planned", BigInteger, nullable=False),
    Column("tasks_done", BigInteger, nullable=False),
    Column("tasks_done_late", BigInteger, nullable=False),
    Column("tasks_overdue", BigInteger, nullable=False),
)
agg_service = _aggregate(
    "agg_service",
    _dim("branch_id"),
    _dim("owner_id", 128),
    Column("month", Date, primary_key=True),
    _dim("priority", 8),
    Column("tickets", BigInteger, nullable=False),
    Column("responded", BigInteger, nullable=False),
    Column("response_seconds", BigInteger, nullable=False),
    Column("resolved", BigInteger, nullable=False),
    Column("resolve_seconds", BigInteger, nullable=False),
    Column("first_response_breached", BigInteger, nullable=False),
    Column("resolution_breached", BigInteger, nullable=False),
    Column("breached", BigInteger, nullable=False),
    Column("csat_answers", BigInteger, nullable=False),
    Column("csat_sum", BigInteger, nullable=False),
)

# --- the service's own records (a rebuild keeps them) ----------------------------------

forecast_policies = Table(
    "forecast_policies",
    metadata,
    _tenant(),
    # Lowest pipeline stage a forecast counts; null: every open stage. An opportunity
    # without an expected close date never counts (the contracts make it required anyway).
    Column("min_stage", String(40)),
    Column("updated_by", String(128), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

forecast_snapshots = Table(
    "forecast_snapshots",
    metadata,
    Column("snapshot_id", Uuid, primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("taken_by", String(128), nullable=False),
    # One scheduled snapshot per tenant and day (a re-run tick adds none); manual: null.
    Column("scheduled_for", Date),
    Column("min_stage", String(40)),
    Column("opportunities", Integer, nullable=False),
)
Index(
    "ux_forecast_snapshots_scheduled",
    forecast_snapshots.c.tenant_id,
    forecast_snapshots.c.scheduled_for,
    unique=True,
    postgresql_where=forecast_snapshots.c.scheduled_for.is_not(None),
)
Index("ix_forecast_snapshots_tenant", forecast_snapshots.c.tenant_id, forecast_snapshots.c.taken_at)

forecast_snapshot_lines = Table(
    "forecast_snapshot_lines",
    metadata,
    Column("snapshot_id", Uuid, primary_key=True),
    Column("opportunity_id", Uuid, primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("branch_id", String(64), nullable=False),
    Column("owner_id", String(128), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_close_date", Date, nullable=False),
    Column("weighted", WEIGHTED, nullable=False),
)

rebuilds = Table(
    "rebuilds",
    metadata,
    Column("rebuild_id", Uuid, primary_key=True),
    Column("requested_by", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # running, done, failed
    Column("phase", String(16), nullable=False),  # replay, catch_up, swap, tail, done
    Column("applied", BigInteger, nullable=False, server_default=text("0")),
    Column("consumed", BigInteger, nullable=False, server_default=text("0")),
    Column("total", BigInteger, nullable=False, server_default=text("0")),
    Column("skipped", BigInteger, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("error", Text),
)
Index(
    "ux_rebuilds_running",
    rebuilds.c.status,
    unique=True,
    postgresql_where=rebuilds.c.status == "running",
)

ENTITY_TABLES = (
    customer_facts,
    opportunities,
    quotes,
    orders,
    products,
    contracts,
    tasks,
    interactions,
    expenses,
    tickets,
    campaigns,
    campaign_touches,
    pipelines,
)
AGGREGATE_TABLES = (
    agg_customers,
    agg_customer_flow,
    agg_pipeline,
    agg_funnel,
    agg_closed,
    agg_customer_money,
    agg_customer_value,
    agg_campaign_opps,
    agg_campaign_touches,
    agg_products,
    agg_quotes,
    agg_contracts,
    agg_activity,
    agg_service,
)
# What a rebuild drops and builds again from the topics (with the consumer's inbox).
READ_MODEL_TABLES = (
    *ENTITY_TABLES,
    opportunity_stage_history,
    customer_value,
    *AGGREGATE_TABLES,
)
