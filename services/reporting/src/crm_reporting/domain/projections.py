"""What each event says about the entities the reports need, as patches (plain Python).

One function per event type: `(event, payload) -> [Patch | Append]`. The payload has been
validated against its contract. Field groups (see `domain.state`) are named after what they
hold; every event of an entity also restates the entity's customer (events carry it) and,
when the envelope has one, its branch, so a record follows its customer through a merge.

Facts that arrive before their entity (an expense before its customer's `created`, a survey
before its ticket) make a placeholder (`known` false) that the entity's own event completes;
placeholders use version 0 so the entity's own events always win.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from crm_contracts import CloudEvent
from crm_contracts import customers as c
from crm_contracts import notifications as n
from crm_contracts import sales as s
from crm_contracts import service_desk as sd
from pydantic import BaseModel

from crm_reporting.domain import entities as e
from crm_reporting.domain.state import Append, Patch

Output = list[Patch | Append]
Projection = Callable[[CloudEvent, Any], Output]

# The standard fields a completeness score counts (the customers service's policy fields).
POLICY_FIELDS = (
    "name",
    "category",
    "industry",
    "phone",
    "fax",
    "email",
    "contact_name",
    "postal_code",
    "address",
    "website",
)

PROJECTIONS: dict[type[BaseModel], Projection] = {}


def projects(payload: type[BaseModel]) -> Callable[[Projection], Projection]:
    def register(function: Projection) -> Projection:
        PROJECTIONS[payload] = function
        return function

    return register


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() != ""
    return value is not None


def _reported(data: Mapping[str, Any]) -> dict[str, bool]:
    """Filled or not, for each standard field the payload states. Read from the raw data, not
    the model: `customer.created.v1` carries five of the ten (name, category, industry, phone,
    e-mail); a producer that adds the others as optional fields gets them counted at once."""
    return {f: _filled(data[f]) for f in POLICY_FIELDS if f in data}


def _belongs(event: CloudEvent, customer_id: UUID) -> dict[str, dict[str, Any]]:
    """Groups every customer-keyed record restates: its customer and the envelope branch."""
    groups: dict[str, dict[str, Any]] = {"customer": {"customer_id": customer_id}}
    if event.branchid is not None:
        groups["branch"] = {"branch_id": event.branchid}
    return groups


def _customer_placeholder(event: CloudEvent, customer_id: UUID) -> Patch:
    """A customer seen through another service's event: its branch until its own arrives."""
    return Patch(
        e.CUSTOMER.name,
        (event.tenantid, customer_id),
        0,
        set={"owner": {"branch_id": event.branchid}} if event.branchid else {},
    )


# --- customers ---------------------------------------------------------------------------


@projects(c.CustomerCreatedV1)
def customer_created(event: CloudEvent, d: c.CustomerCreatedV1) -> Output:
    stage = d.lifecycle_stage.value
    return [
        Patch(
            e.CUSTOMER.name,
            (event.tenantid, d.customer_id),
            event.sequence,
            set={
                "created": {"known": True, "created_at": event.time},
                "name": {"name": d.name},
                "owner": {"owner_id": d.owner_id, "branch_id": event.branchid},
                "stage": {
                    "lifecycle_stage": stage,
                    "stage_reason": None,
                    "stage_changed_at": event.time,
                },
            },
            items={"filled": _reported(event.data)},
            least={"became_customer_at": event.time if stage == "customer" else None},
        )
    ]


@projects(c.CustomerUpdatedV1)
def customer_updated(event: CloudEvent, d: c.CustomerUpdatedV1) -> Output:
    groups = {"name": {"name": d.changes["name"].new}} if "name" in d.changes else {}
    filled = {f: _filled(ch.new) for f, ch in d.changes.items() if f in POLICY_FIELDS}
    return [
        Patch(
            e.CUSTOMER.name,
            (event.tenantid, d.customer_id),
            event.sequence,
            set=groups,
            items={"filled": filled} if filled else {},
        )
    ]


@projects(c.CustomerOwnerChangedV1)
def customer_owner_changed(event: CloudEvent, d: c.CustomerOwnerChangedV1) -> Output:
    owner = {"owner_id": d.new_owner_id, "branch_id": d.new_branch_id}
    return [
        Patch(
            e.CUSTOMER.name, (event.tenantid, d.customer_id), event.sequence, set={"owner": owner}
        )
    ]


@projects(c.CustomerLifecycleChangedV1)
def customer_lifecycle_changed(event: CloudEvent, d: c.CustomerLifecycleChangedV1) -> Output:
    stage = d.new_stage.value
    return [
        Patch(
            e.CUSTOMER.name,
            (event.tenantid, d.customer_id),
            event.sequence,
            set={
                "stage": {
                    "lifecycle_stage": stage,
                    "stage_reason": d.reason,
                    "stage_changed_at": event.time,
                }
            },
            least={"became_customer_at": event.time if stage == "customer" else None},
        )
    ]


@projects(c.CustomerDeletedV1)
def customer_deleted(event: CloudEvent, d: c.CustomerDeletedV1) -> Output:
    return [
        Patch(
            e.CUSTOMER.name,
            (event.tenantid, d.customer_id),
            event.sequence,
            greatest={"deleted": True},
        )
    ]


@projects(c.CustomerMergedV1)
def customer_merged(event: CloudEvent, d: c.CustomerMergedV1) -> Output:
    # The duplicate stops existing on its own; its records move with their own events.
    return [Patch(e.CUSTOMER.name, (event.tenantid, d.merged_id), 0, greatest={"deleted": True})]


@projects(c.InteractionLoggedV1)
def interaction_logged(event: CloudEvent, d: c.InteractionLoggedV1) -> Output:
    return [
        Patch(
            e.INTERACTION.name,
            (event.tenantid, d.interaction_id),
            event.sequence,
            set={
                **_belongs(event, d.customer_id),
                "logged": {
                    "known": True,
                    "author_id": d.author_id,
                    "occurred_at": d.occurred_at,
                    "channel": d.channel,
                },
            },
        )
    ]


@projects(c.InteractionClosedV1)
def interaction_closed(event: CloudEvent, d: c.InteractionClosedV1) -> Output:
    return [
        Patch(
            e.INTERACTION.name,
            (event.tenantid, d.interaction_id),
            event.sequence,
            set=_belongs(event, d.customer_id),
            greatest={"closed": True},
        )
    ]


# --- sales: configuration, products, campaigns ------------------------------------------


@projects(s.SalesConfigurationChangedV1)
def configuration_changed(event: CloudEvent, d: s.SalesConfigurationChangedV1) -> Output:
    stages = [stage.model_dump(mode="json") for stage in d.stages]
    return [
        Patch(
            e.PIPELINE_CONFIG.name,
            (event.tenantid,),
            event.sequence,
            set={"stages": {"known": True, "stages": stages}},
        )
    ]


@projects(s.ProductCreatedV1)
def product_created(event: CloudEvent, d: s.ProductCreatedV1) -> Output:
    return [
        Patch(
            e.PRODUCT.name,
            (event.tenantid, d.product_id),
            event.sequence,
            set={"known": {"known": True}, "sku": {"sku": d.sku}, "name": {"name": d.name}},
        )
    ]


@projects(s.ProductUpdatedV1)
def product_updated(event: CloudEvent, d: s.ProductUpdatedV1) -> Output:
    groups: dict[str, dict[str, Any]] = {
        f: {f: d.changes[f].new} for f in ("sku", "name") if f in d.changes
    }
    return [Patch(e.PRODUCT.name, (event.tenantid, d.product_id), event.sequence, set=groups)]


def _campaign_value(field: str, value: str | None) -> Any:
    if value is None:
        return None
    if field == "budget":
        return Decimal(value)
    if field in ("start_date", "end_date"):
        return date.fromisoformat(value)
    return value


@projects(s.CampaignCreatedV1)
def campaign_created(event: CloudEvent, d: s.CampaignCreatedV1) -> Output:
    return [
        Patch(
            e.CAMPAIGN.name,
            (event.tenantid, d.campaign_id),
            event.sequence,
            set={
                "known": {"known": True},
                "name": {"name": d.name},
                "channel": {"channel": d.channel.value},
                "budget": {"budget": d.budget},
                "currency": {"currency": d.currency},
                "start_date": {"start_date": d.start_date},
                "end_date": {"end_date": d.end_date},
            },
        )
    ]


@projects(s.CampaignUpdatedV1)
def campaign_updated(event: CloudEvent, d: s.CampaignUpdatedV1) -> Output:
    fields = ("name", "channel", "budget", "currency", "start_date", "end_date")
    groups = {f: {f: _campaign_value(f, d.changes[f].new)} for f in fields if f in d.changes}
    return [Patch(e.CAMPAIGN.name, (event.tenantid, d.campaign_id), event.sequence, set=groups)]


def _touch(
    event: CloudEvent, campaign_id: UUID, kind: str, ref: object, at: Any, weight: int = 1
) -> Patch:
    return Patch(
        e.TOUCH.name,
        (event.tenantid, campaign_id, kind, str(ref)),
        event.sequence,
        set={"known": {"known": True, "branch_id": event.branchid, "weight": weight}},
        least={"at": at},
    )


@projects(s.CampaignResponseRecordedV1)
def campaign_response(event: CloudEvent, d: s.CampaignResponseRecordedV1) -> Output:
    kind = f"response:{d.response.value}"
    return [_touch(event, d.campaign_id, kind, d.contact_id, d.responded_at)]


# --- sales: opportunities --------------------------------------------------------------------


def _opportunity(event: CloudEvent, d: s.OpportunityRef, **parts: Any) -> Output:
    groups = {**_belongs(event, d.customer_id), **parts.pop("set", {})}
    patch = Patch(
        e.OPPORTUNITY.name, (event.tenantid, d.opportunity_id), event.sequence, set=groups, **parts
    )
    return [patch]


def _history(
    event: CloudEvent, d: s.OpportunityRef, old: str | None, new: str, **row: Any
) -> Append:
    return Append(
        "opportunity_stage_history",
        {
            "tenant_id": event.tenantid,
            "opportunity_id": d.opportunity_id,
            "sequence": event.sequence,
            "old_stage": old,
            "new_stage": new,
            "changed_at": event.time,
            **row,
        },
    )


@projects(s.OpportunityCreatedV1)
def opportunity_created(event: CloudEvent, d: s.OpportunityCreatedV1) -> Output:
    return [
        *_opportunity(
            event,
            d,
            set={
                "created": {"known": True, "created_at": event.time},
                "owner": {"owner_id": d.owner_id},
                "name": {"name": d.name},
                "campaign": {"campaign_id": d.campaign_id},
                "stage": {"stage": d.stage, "probability": d.probability},
                "status": {"status": "open", "closed_on": None, "lost_reason": None},
                "amount": {"amount": d.amount, "currency": d.currency},
                "close": {"expected_close_date": d.expected_close_date},
            },
            items={"stages": {d.stage: True}},
        ),
        _history(
            event,
            d,
            None,
            d.stage,
            probability=d.probability,
            amount=d.amount,
            currency=d.currency,
            changed_by=d.created_by,
        ),
    ]


@projects(s.OpportunityUpdatedV1)
def opportunity_updated(event: CloudEvent, d: s.OpportunityUpdatedV1) -> Output:
    groups: dict[str, dict[str, Any]] = {}
    if "name" in d.changes:
        groups["name"] = {"name": d.changes["name"].new}
    if "campaign_id" in d.changes:
        new = d.changes["campaign_id"].new
        groups["campaign"] = {"campaign_id": UUID(new) if new else None}
    return _opportunity(event, d, set=groups)


@projects(s.OpportunityStageChangedV1)
def opportunity_stage_changed(event: CloudEvent, d: s.OpportunityStageChangedV1) -> Output:
    return [
        *_opportunity(
            event,
            d,
            set={
                "stage": {"stage": d.new_stage, "probability": d.new_probability},
                "amount": {"amount": d.amount, "currency": d.currency},
                "close": {"expected_close_date": d.expected_close_date},
                "owner": {"owner_id": d.owner_id},
            },
            items={"stages": {d.new_stage: True}},
        ),
        _history(
            event,
            d,
            d.old_stage,
            d.new_stage,
            probability=d.new_probability,
            amount=d.amount,
            currency=d.currency,
            changed_by=d.changed_by,
        ),
    ]


@projects(s.OpportunityProbabilityChangedV1)
def opportunity_probability_changed(
    event: CloudEvent, d: s.OpportunityProbabilityChangedV1
) -> Output:
    return _opportunity(
        event, d, set={"stage": {"stage": d.stage, "probability": d.new_probability}}
    )


@projects(s.OpportunityAmountChangedV1)
def opportunity_amount_changed(event: CloudEvent, d: s.OpportunityAmountChangedV1) -> Output:
    return _opportunity(event, d, set={"amount": {"amount": d.new_amount, "currency": d.currency}})


@projects(s.OpportunityCloseDateChangedV1)
def opportunity_close_date_changed(event: CloudEvent, d: s.OpportunityCloseDateChangedV1) -> Output:
    return _opportunity(event, d, set={"close": {"expected_close_date": d.new_close_date}})


@projects(s.OpportunityWonV1)
def opportunity_won(event: CloudEvent, d: s.OpportunityWonV1) -> Output:
    return [
        *_opportunity(
            event,
            d,
            set={
                "status": {"status": "won", "closed_on": d.closed_on, "lost_reason": None},
                "amount": {"amount": d.amount, "currency": d.currency},
                "owner": {"owner_id": d.owner_id},
                "campaign": {"campaign_id": d.campaign_id},
            },
        ),
        _customer_placeholder(event, d.customer_id),
    ]


@projects(s.OpportunityLostV1)
def opportunity_lost(event: CloudEvent, d: s.OpportunityLostV1) -> Output:
    return _opportunity(
        event,
        d,
        set={
            "status": {"status": "lost", "closed_on": d.closed_on, "lost_reason": d.reason},
            "amount": {"amount": d.amount, "currency": d.currency},
            "owner": {"owner_id": d.owner_id},
        },
    )


@projects(s.OpportunityReopenedV1)
def opportunity_reopened(event: CloudEvent, d: s.OpportunityReopenedV1) -> Output:
    # The stage change that follows (next version) brings the stage and its probability.
    return _opportunity(
        event,
        d,
        set={"status": {"status": "open", "closed_on": None, "lost_reason": None}},
        items={"stages": {d.new_stage: True}},
    )


@projects(s.OpportunityOwnerChangedV1)
def opportunity_owner_changed(event: CloudEvent, d: s.OpportunityOwnerChangedV1) -> Output:
    return _opportunity(event, d, set={"owner": {"owner_id": d.new_owner_id}})


@projects(s.OpportunityCustomerChangedV1)
def opportunity_customer_changed(event: CloudEvent, d: s.OpportunityCustomerChangedV1) -> Output:
    return _opportunity(event, d)


# --- sales: quotes, orders, contracts ------------------------------------------------------


def _record(kind: str, id_field: str) -> Callable[..., Output]:
    def patch(event: CloudEvent, d: Any, **parts: Any) -> Output:
        groups = {**_belongs(event, d.customer_id), **parts.pop("set", {})}
        key = (event.tenantid, getattr(d, id_field))
        return [Patch(kind, key, event.sequence, set=groups, **parts)]

    return patch


_quote = _record(e.QUOTE.name, "quote_id")
_order = _record(e.ORDER.name, "order_id")
_contract = _record(e.CONTRACT.name, "contract_id")
_task = _record(e.TASK.name, "task_id")
_expense = _record(e.EXPENSE.name, "expense_id")


def _figures(d: s.DocumentFigures, *, loss_alarm: bool) -> dict[str, Any]:
    return {"total": d.total, "margin": d.margin, "currency": d.currency, "loss_alarm": loss_alarm}


@projects(s.QuoteCreatedV1)
def quote_created(event: CloudEvent, d: s.QuoteCreatedV1) -> Output:
    return _quote(
        event,
        d,
        set={
            "created": {
                "known": True,
                "created_at": event.time,
                "owner_id": d.created_by,
                "opportunity_id": d.opportunity_id,
            },
            "figures": _figures(d, loss_alarm=d.loss_alarm),
            "status": {"status": s.QuoteStatus.DRAFT.value},
        },
    )


@projects(s.QuoteRevisedV1)
def quote_revised(event: CloudEvent, d: s.QuoteRevisedV1) -> Output:
    return _quote(event, d, set={"figures": _figures(d, loss_alarm=d.loss_alarm)})


@projects(s.QuoteLossAlarmRaisedV1)
def quote_loss_alarm(event: CloudEvent, d: s.QuoteLossAlarmRaisedV1) -> Output:
    return _quote(event, d, set={"figures": _figures(d, loss_alarm=True)})


@projects(s.QuoteSentV1)
def quote_sent(event: CloudEvent, d: s.QuoteSentV1) -> Output:
    return _quote(event, d, set={"status": {"status": s.QuoteStatus.SENT.value}})


@projects(s.QuoteAcceptedV1)
def quote_accepted(event: CloudEvent, d: s.QuoteAcceptedV1) -> Output:
    return _quote(event, d, set={"status": {"status": s.QuoteStatus.ACCEPTED.value}})


@projects(s.QuoteRejectedV1)
def quote_rejected(event: CloudEvent, d: s.QuoteRejectedV1) -> Output:
    return _quote(event, d, set={"status": {"status": s.QuoteStatus.REJECTED.value}})


@projects(s.QuoteCustomerChangedV1)
def quote_customer_changed(event: CloudEvent, d: s.QuoteCustomerChangedV1) -> Output:
    return _quote(event, d)


def _lines(d: s.DocumentSnapshot) -> list[dict[str, str]]:
    return [
        {
            "product_id": str(line.product_id),
            "quantity": str(line.quantity),
            "net_amount": str(line.net_amount),
            "cost": str(line.cost),
        }
        for line in d.lines
    ]


def _products(event: CloudEvent, d: s.DocumentSnapshot) -> list[Patch]:
    """Products as the lines name them, until the catalogue's own events say more."""
    return [
        Patch(
            e.PRODUCT.name,
            (event.tenantid, line.product_id),
            0,
            set={"sku": {"sku": line.sku}, "name": {"name": line.name}},
        )
        for line in d.lines
    ]


def _document(d: s.DocumentSnapshot) -> dict[str, Any]:
    return {"total": d.total, "cost": d.cost, "currency": d.currency, "lines": _lines(d)}


@projects(s.OrderCreatedV1)
def order_created(event: CloudEvent, d: s.OrderCreatedV1) -> Output:
    confirmed = d.status is s.OrderStatus.CONFIRMED
    return [
        *_order(
            event,
            d,
            set={
                "created": {"known": True, "owner_id": d.created_by},
                "document": _document(d),
                "status": {
                    "status": d.status.value,
                    "confirmed_at": event.time if confirmed else None,
                },
            },
        ),
        *_products(event, d),
    ]


@projects(s.OrderConfirmedV1)
def order_confirmed(event: CloudEvent, d: s.OrderConfirmedV1) -> Output:
    return [
        *_order(
            event,
            d,
            set={
                "document": _document(d),
                "status": {"status": s.OrderStatus.CONFIRMED.value, "confirmed_at": event.time},
            },
        ),
        *_products(event, d),
    ]


@projects(s.OrderCancelledV1)
def order_cancelled(event: CloudEvent, d: s.OrderCancelledV1) -> Output:
    cancelled = {"status": s.OrderStatus.CANCELLED.value, "confirmed_at": None}
    return _order(event, d, set={"status": cancelled})


@projects(s.OrderCustomerChangedV1)
def order_customer_changed(event: CloudEvent, d: s.OrderCustomerChangedV1) -> Output:
    return _order(event, d)


@projects(s.ContractCreatedV1)
def contract_created(event: CloudEvent, d: s.ContractCreatedV1) -> Output:
    return _contract(
        event,
        d,
        set={
            "created": {
                "known": True,
                "owner_id": d.created_by,
                "name": d.name,
                "start_date": d.start_date,
                "end_date": d.end_date,
                "amount": d.amount,
                "currency": d.currency,
            },
            "status": {"status": s.ContractStatus.ACTIVE.value},
        },
    )


def _contract_status(status: s.ContractStatus) -> Projection:
    def project(event: CloudEvent, d: Any) -> Output:
        return _contract(event, d, set={"status": {"status": status.value}})

    return project


projects(s.ContractExpiringV1)(_contract_status(s.ContractStatus.EXPIRING))
projects(s.ContractNotRenewedV1)(_contract_status(s.ContractStatus.NOT_RENEWED))
projects(s.ContractRenewedV1)(_contract_status(s.ContractStatus.RENEWED))


@projects(s.ContractCustomerChangedV1)
def contract_customer_changed(event: CloudEvent, d: s.ContractCustomerChangedV1) -> Output:
    return _contract(event, d)


# --- sales: tasks and expenses ----------------------------------------------------------


def _schedule(start: Any, minutes: int) -> dict[str, Any]:
    return {"start_at": start, "due_at": start + timedelta(minutes=minutes)}


@projects(s.TaskCreatedV1)
def task_created(event: CloudEvent, d: s.TaskCreatedV1) -> Output:
    return _task(
        event,
        d,
        set={
            "created": {"known": True},
            "assignee": {"assignee_id": d.assignee_id},
            "schedule": _schedule(d.start_at, d.duration_minutes),
        },
    )


@projects(s.TaskRescheduledV1)
def task_rescheduled(event: CloudEvent, d: s.TaskRescheduledV1) -> Output:
    return _task(
        event,
        d,
        set={
            "assignee": {"assignee_id": d.assignee_id},
            "schedule": _schedule(d.start_at, d.duration_minutes),
        },
    )


@projects(s.TaskReassignedV1)
def task_reassigned(event: CloudEvent, d: s.TaskReassignedV1) -> Output:
    return _task(event, d, set={"assignee": {"assignee_id": d.assignee_id}})


@projects(s.TaskCompletedV1)
def task_completed(event: CloudEvent, d: s.TaskCompletedV1) -> Output:
    return _task(
        event,
        d,
        set={"assignee": {"assignee_id": d.assignee_id}},
        least={"completed_at": d.completed_at},
    )


@projects(s.TaskOverdueV1)
def task_overdue(event: CloudEvent, d: s.TaskOverdueV1) -> Output:
    return _task(
        event,
        d,
        set={"assignee": {"assignee_id": d.assignee_id}},
        greatest={"overdue_due_at": d.due_at},
    )


@projects(s.TaskCustomerChangedV1)
def task_customer_changed(event: CloudEvent, d: s.TaskCustomerChangedV1) -> Output:
    return _task(event, d)


@projects(s.ExpenseRecordedV1)
def expense_recorded(event: CloudEvent, d: s.ExpenseRecordedV1) -> Output:
    return [
        *_expense(
            event,
            d,
            set={
                "created": {
                    "known": True,
                    "owner_id": d.recorded_by,
                    "category": d.category.value,
                },
                "money": {"amount": d.amount, "currency": d.currency, "incurred_on": d.incurred_on},
                "status": {"status": d.status.value},
            },
        ),
        _customer_placeholder(event, d.customer_id),
    ]


@projects(s.ExpenseApprovedV1)
def expense_approved(event: CloudEvent, d: s.ExpenseApprovedV1) -> Output:
    return _expense(
        event,
        d,
        set={
            "money": {"amount": d.amount, "currency": d.currency, "incurred_on": d.incurred_on},
            "status": {"status": s.ExpenseStatus.APPROVED.value},
        },
    )


@projects(s.ExpenseRejectedV1)
def expense_rejected(event: CloudEvent, d: s.ExpenseRejectedV1) -> Output:
    return _expense(event, d, set={"status": {"status": s.ExpenseStatus.REJECTED.value}})


@projects(s.ExpenseCustomerChangedV1)
def expense_customer_changed(event: CloudEvent, d: s.ExpenseCustomerChangedV1) -> Output:
    return [*_expense(event, d), _customer_placeholder(event, d.customer_id)]


# --- service desk ------------------------------------------------------------------------


_ticket = _record(e.TICKET.name, "ticket_id")


def _deadlines(d: sd.TicketDeadlines) -> dict[str, dict[str, Any]]:
    """The last known deadline of each clock (null means met or paused: nothing new)."""
    groups: dict[str, dict[str, Any]] = {}
    if d.first_response_due is not None:
        groups["first_response_due"] = {"first_response_due": d.first_response_due}
    if d.resolution_due is not None:
        groups["resolution_due"] = {"resolution_due": d.resolution_due}
    return groups


@projects(sd.TicketOpenedV1)
def ticket_opened(event: CloudEvent, d: sd.TicketOpenedV1) -> Output:
    return _ticket(
        event,
        d,
        set={
            "opened": {"known": True, "opened_at": event.time},
            "assignee": {"assignee_id": d.assignee_id},
            "priority": {"priority": d.priority.value},
            "status": {"status": d.status.value},
            **_deadlines(d),
        },
    )


@projects(sd.TicketAssignedV1)
def ticket_assigned(event: CloudEvent, d: sd.TicketAssignedV1) -> Output:
    return _ticket(event, d, set={"assignee": {"assignee_id": d.new_assignee_id}})


@projects(sd.TicketPriorityChangedV1)
def ticket_priority_changed(event: CloudEvent, d: sd.TicketPriorityChangedV1) -> Output:
    return _ticket(event, d, set={"priority": {"priority": d.new_priority.value}, **_deadlines(d)})


FINISHED = (sd.TicketStatus.RESOLVED, sd.TicketStatus.CLOSED)


@projects(sd.TicketStatusChangedV1)
def ticket_status_changed(event: CloudEvent, d: sd.TicketStatusChangedV1) -> Output:
    groups: dict[str, dict[str, Any]] = {"status": {"status": d.new_status.value}, **_deadlines(d)}
    least: dict[str, Any] = {}
    if d.new_status is sd.TicketStatus.RESOLVED:
        groups["resolution"] = {"resolved_at": event.time}
        least["first_response_at"] = event.time  # solving the request answers it too
    elif d.new_status is sd.TicketStatus.OPEN and d.old_status in FINISHED:
        groups["resolution"] = {"resolved_at": None}  # reopened
    return _ticket(event, d, set=groups, least=least)


@projects(sd.TicketCommentedV1)
def ticket_commented(event: CloudEvent, d: sd.TicketCommentedV1) -> Output:
    return _ticket(event, d, least={"first_response_at": event.time if d.first_response else None})


@projects(sd.TicketSlaBreachedV1)
def ticket_sla_breached(event: CloudEvent, d: sd.TicketSlaBreachedV1) -> Output:
    flag = (
        "first_response_breached"
        if d.clock is sd.SlaClockKind.FIRST_RESPONSE
        else "resolution_breached"
    )
    return _ticket(event, d, greatest={flag: True})


@projects(sd.TicketRelocatedV1)
def ticket_relocated(event: CloudEvent, d: sd.TicketRelocatedV1) -> Output:
    return _ticket(event, d, set={"branch": {"branch_id": d.branch_id}})


@projects(sd.SurveyAnsweredV1)
def survey_answered(event: CloudEvent, d: sd.SurveyAnsweredV1) -> Output:
    # The answer lives with its ticket: CSAT is counted where the ticket is.
    return [
        Patch(
            e.TICKET.name,
            (event.tenantid, d.ticket_id),
            event.sequence,
            items={"surveys": {str(d.survey_id): d.score}},
        )
    ]


# --- notifications: campaign mail --------------------------------------------------------


@projects(n.EmailSentV1)
def email_sent(event: CloudEvent, d: n.EmailSentV1) -> Output:
    if d.kind != "campaign" or d.campaign_id is None:
        return []
    return [_touch(event, d.campaign_id, "mail_sent", d.email_id, d.sent_at)]


@projects(n.MailingStartedV1)
def mailing_started(event: CloudEvent, d: n.MailingStartedV1) -> Output:
    return [_touch(event, d.campaign_id, "mail_queued", d.mailing_id, event.time, d.queued)]


@projects(n.CampaignMailUnsubscribedV1)
def mail_unsubscribed(event: CloudEvent, d: n.CampaignMailUnsubscribedV1) -> Output:
    return [_touch(event, d.campaign_id, "mail_unsubscribed", d.contact_id, d.unsubscribed_at)]


def project(event: CloudEvent, payload_type: type[BaseModel]) -> Output:
    """Validate `event.data` as `payload_type` and say what it changes."""
    payload = payload_type.model_validate(event.data)
    return PROJECTIONS[payload_type](event, payload)


def payload_types() -> Mapping[type[BaseModel], Projection]:
    return PROJECTIONS
