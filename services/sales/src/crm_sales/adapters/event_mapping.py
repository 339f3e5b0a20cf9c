"""Domain events -> wire contracts, in one place.

A payload is built from the aggregate's state plus what the event says changed (event
fields win); the payload model keeps the fields it declares. The table below says which
contract each (aggregate, domain event) pair becomes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crm_contracts import CloudEvent, Payload, new_event
from crm_contracts import sales as wire

from crm_sales.domain import events as e
from crm_sales.domain.base import Aggregate, CustomerRecord, Recorded
from crm_sales.domain.campaigns import Campaign, CampaignResponse
from crm_sales.domain.documents import Order, Quote
from crm_sales.domain.expenses import Expense
from crm_sales.domain.opportunities import Opportunity
from crm_sales.domain.pipeline import SalesConfiguration
from crm_sales.domain.products import Product
from crm_sales.domain.subscriptions import Contract
from crm_sales.domain.tasks import Task

PAYLOADS: dict[type[Aggregate], dict[type[Any], type[Payload]]] = {
    SalesConfiguration: {e.Reconfigured: wire.SalesConfigurationChangedV1},
    Product: {e.Created: wire.ProductCreatedV1, e.Updated: wire.ProductUpdatedV1},
    Opportunity: {
        e.Created: wire.OpportunityCreatedV1,
        e.Updated: wire.OpportunityUpdatedV1,
        e.StageChanged: wire.OpportunityStageChangedV1,
        e.ProbabilityChanged: wire.OpportunityProbabilityChangedV1,
        e.AmountChanged: wire.OpportunityAmountChangedV1,
        e.CloseDateChanged: wire.OpportunityCloseDateChangedV1,
        e.Won: wire.OpportunityWonV1,
        e.Lost: wire.OpportunityLostV1,
        e.Reopened: wire.OpportunityReopenedV1,
        e.OwnerChanged: wire.OpportunityOwnerChangedV1,
        e.MovedToCustomer: wire.OpportunityCustomerChangedV1,
    },
    Quote: {
        e.Created: wire.QuoteCreatedV1,
        e.Revised: wire.QuoteRevisedV1,
        e.LossAlarmRaised: wire.QuoteLossAlarmRaisedV1,
        e.Approved: wire.QuoteLossApprovedV1,
        e.Sent: wire.QuoteSentV1,
        e.Accepted: wire.QuoteAcceptedV1,
        e.Rejected: wire.QuoteRejectedV1,
        e.MovedToCustomer: wire.QuoteCustomerChangedV1,
    },
    Order: {
        e.Created: wire.OrderCreatedV1,
        e.LossAlarmRaised: wire.OrderLossAlarmRaisedV1,
        e.Approved: wire.OrderLossApprovedV1,
        e.Confirmed: wire.OrderConfirmedV1,
        e.Cancelled: wire.OrderCancelledV1,
        e.MovedToCustomer: wire.OrderCustomerChangedV1,
    },
    Contract: {
        e.Created: wire.ContractCreatedV1,
        e.Expiring: wire.ContractExpiringV1,
        e.NotRenewed: wire.ContractNotRenewedV1,
        e.Renewed: wire.ContractRenewedV1,
        e.MovedToCustomer: wire.ContractCustomerChangedV1,
    },
    Task: {
        e.Created: wire.TaskCreatedV1,
        e.Rescheduled: wire.TaskRescheduledV1,
        e.Reassigned: wire.TaskReassignedV1,
        e.Completed: wire.TaskCompletedV1,
        e.Overdue: wire.TaskOverdueV1,
        e.MovedToCustomer: wire.TaskCustomerChangedV1,
    },
    Expense: {
        e.Created: wire.ExpenseRecordedV1,
        e.Approved: wire.ExpenseApprovedV1,
        e.Rejected: wire.ExpenseRejectedV1,
        e.MovedToCustomer: wire.ExpenseCustomerChangedV1,
    },
    Campaign: {e.Created: wire.CampaignCreatedV1, e.Updated: wire.CampaignUpdatedV1},
    CampaignResponse: {e.ResponseRecorded: wire.CampaignResponseRecordedV1},
}


def payload(aggregate: Aggregate, recorded: Recorded) -> Payload:
    model = PAYLOADS[type(aggregate)][type(recorded.event)]
    return model.model_validate({**aggregate.snapshot(), **asdict(recorded.event)})


def to_cloud_event(aggregate: Aggregate, recorded: Recorded) -> CloudEvent:
    if isinstance(aggregate, CustomerRecord):
        key, branch = str(aggregate.customer_id), aggregate.branch_id
    elif isinstance(aggregate, SalesConfiguration):
        key, branch = aggregate.tenant_id, None
    else:  # products and campaigns belong to no customer
        key, branch = str(aggregate.id), None
    subject_id = aggregate.tenant_id if isinstance(aggregate, SalesConfiguration) else aggregate.id
    return new_event(
        payload(aggregate, recorded),
        tenant=aggregate.tenant_id,
        branch=branch,
        partition_key=key,
        subject=f"{aggregate.ENTITY}/{subject_id}",
        sequence=recorded.version,
    )
