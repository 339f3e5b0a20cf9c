"""Who sees which sales record: the customers' rules (own / branch / all), applied through
the customer facts, so records follow their customer when it moves branch or owner."""

from __future__ import annotations

from typing import TypeVarTuple

from servicekit.auth import Principal, Scope
from sqlalchemy import ColumnElement, Select, and_, or_, true

from crm_sales.adapters.orm import (
    CampaignResponseRow,
    ContractRow,
    CustomerFact,
    CustomerRecordRow,
    ExpenseRow,
    OpportunityRow,
    OrderRow,
    QuoteRow,
    TaskRow,
)

Ts = TypeVarTuple("Ts")

# Besides the customer's owner, a rep sees the records they are personally responsible for.
PERSONAL: dict[type[CustomerRecordRow], tuple[str, ...]] = {
    OpportunityRow: ("owner_id",),
    QuoteRow: ("created_by",),
    OrderRow: ("created_by",),
    ContractRow: ("created_by",),
    TaskRow: ("assignee_id",),
    ExpenseRow: ("recorded_by",),
    CampaignResponseRow: (),
}


def with_customer(query: Select[*Ts], row: type[CustomerRecordRow]) -> Select[*Ts]:
    """Join each record to its customer's facts (branch and owner live there)."""
    return query.join(
        CustomerFact,
        and_(CustomerFact.tenant_id == row.tenant_id, CustomerFact.customer_id == row.customer_id),
    )


def visible_records(principal: Principal, row: type[CustomerRecordRow]) -> ColumnElement[bool]:
    """Filter for a query joined `with_customer`: tenant, then branch or ownership by role."""
    in_tenant = row.tenant_id == principal.tenant
    if principal.scope is Scope.ALL:
        return and_(in_tenant, true())
    if principal.scope is Scope.BRANCH:
        return and_(in_tenant, CustomerFact.branch_id == principal.branch)
    mine = [getattr(row, column) == principal.user_id for column in PERSONAL[row]]
    return and_(in_tenant, or_(CustomerFact.owner_id == principal.user_id, *mine))


def visible_customers(principal: Principal) -> ColumnElement[bool]:
    """The customers a principal may work with: a rep's own and the pool, as in customers."""
    return principal.visibility(
        tenant_col=CustomerFact.tenant_id.expression,
        branch_col=CustomerFact.branch_id.expression,
        owner_col=CustomerFact.owner_id.expression,
        include_unowned=True,
    )
