"""Events published by the sales service on `crm.sales.events`.

The partition key is the id of the customer an event is about, so everything sales says
about one customer arrives in order. Products and campaigns belong to no customer: their
events are keyed by their own id; the tenant's sales configuration by the tenant id.
`subject` is `<entity>/<id>` and `sequence` the entity's version after the change.

Money is a decimal written as a JSON string (`"1250.00"`, never a float) next to an
ISO 4217 `currency`.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, Field, WithJsonSchema

from crm_contracts.base import Payload
from crm_contracts.registry import EventSpec, register
from crm_contracts.topics import SALES_EVENTS

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

# Readers accept a JSON number too, but the schema promises (and producers write) a string.
Money = Annotated[
    Decimal, WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "format": "decimal"})
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


# --- vocabularies --------------------------------------------------------------------------


class StageOutcome(StrEnum):
    """What reaching a pipeline stage means: still open, won or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class OpportunityStatus(StrEnum):
    """Whether an opportunity is still being worked on."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class OpportunityOwnerChangeReason(StrEnum):
    """Why an opportunity changed hands."""

    ASSIGNED = "assigned"  # a manager gave it to another rep
    CUSTOMER_OWNER_CHANGED = "customer_owner_changed"  # it followed its customer


class RecordMoveReason(StrEnum):
    """Why a record now belongs to another customer."""

    CUSTOMER_MERGED = "customer_merged"


class QuoteStatus(StrEnum):
    """Where a quote stands with the customer."""

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class OrderStatus(StrEnum):
    """Whether an order stands; one priced below cost waits for a manager."""

    PENDING_APPROVAL = "pending_approval"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class ContractStatus(StrEnum):
    """A subscription period's state: active, expiring soon, renewed or lapsed."""

    ACTIVE = "active"
    EXPIRING = "expiring"
    RENEWED = "renewed"
    NOT_RENEWED = "not_renewed"


class TaskMethod(StrEnum):
    """How the rep gets in touch."""

    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    MEETING = "meeting"


class ExpenseCategory(StrEnum):
    """What an expense was spent on."""

    TRAVEL = "travel"
    MEALS = "meals"
    ENTERTAINMENT = "entertainment"
    GIFTS = "gifts"
    SAMPLES = "samples"
    OTHER = "other"


class ExpenseStatus(StrEnum):
    """Recorded the same day it counts at once; recorded later it waits for a manager."""

    APPROVED = "approved"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"


class CampaignChannel(StrEnum):
    """The channel a campaign reaches its segment through."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    EVENT = "event"
    SOCIAL = "social"
    DIRECT_MAIL = "direct_mail"


class CampaignResponseKind(StrEnum):
    """How a contact responded to a campaign."""

    OPENED = "opened"
    REPLIED = "replied"
    INTERESTED = "interested"
    UNSUBSCRIBED = "unsubscribed"


# --- shared parts ----------------------------------------------------------------------------


class ChangedValue(Payload):
    """Old and new value of one changed field, as text."""

    old: str | None = Field(description="Value before the change.")
    new: str | None = Field(description="Value after the change.")


class PipelineStage(Payload):
    """One stage of a tenant's sales pipeline."""

    key: str = Field(description="Stable key opportunities refer to, e.g. `proposal`.")
    name: str = Field(description="Display name.")
    probability: int = Field(ge=0, le=100, description="Default win probability in percent.")
    outcome: StageOutcome = Field(description="Open, or the won / lost stage.")


class DocumentLine(Payload):
    """One line of a quote or order, with its price and cost at the time."""

    line_no: int = Field(ge=1, description="Position on the document, from 1.")
    product_id: UUID = Field(description="The product sold.")
    sku: str = Field(description="The product's stock-keeping unit.")
    name: str = Field(description="The product's name (or the line's own description).")
    quantity: Money = Field(description="Quantity sold.")
    unit_price: Money = Field(description="Price per unit before the line discount.")
    discount_percent: Money = Field(description="Line discount in percent (0-100).")
    net_amount: Money = Field(description="quantity x unit price less the discount.")
    unit_cost: Money = Field(description="The product's unit cost when the line was priced.")
    cost: Money = Field(description="quantity x unit cost.")


class OpportunityRef(Payload):
    """Base of opportunity events."""

    opportunity_id: UUID = Field(description="The opportunity.")
    customer_id: UUID = Field(description="Its customer; also the partition key.")


class QuoteRef(Payload):
    """Base of quote events."""

    quote_id: UUID = Field(description="The quote.")
    customer_id: UUID = Field(description="Its customer; also the partition key.")


class OrderRef(Payload):
    """Base of order events."""

    order_id: UUID = Field(description="The order.")
    customer_id: UUID = Field(description="Its customer; also the partition key.")


class ContractRef(Payload):
    """Base of contract events."""

    contract_id: UUID = Field(description="The contract (one subscription period).")
    customer_id: UUID = Field(description="Its customer; also the partition key.")


class TaskRef(Payload):
    """Base of task events."""

    task_id: UUID = Field(description="The task.")
    customer_id: UUID = Field(description="The customer it is about; also the partition key.")


class ExpenseRef(Payload):
    """Base of expense events."""

    expense_id: UUID = Field(description="The expense.")
    customer_id: UUID = Field(description="The customer it was spent on; the partition key.")


class DocumentFigures(Payload):
    """Totals of a priced document (quote or order)."""

    currency: Currency = Field(description="ISO 4217 currency of every amount.")
    subtotal: Money = Field(description="Sum of the lines' net amounts.")
    discount_percent: Money = Field(description="Document discount in percent (0-100).")
    total: Money = Field(description="What the customer pays: subtotal less the discount.")
    cost: Money = Field(description="Sum of the lines' costs.")
    margin: Money = Field(description="total - cost; negative means a loss.")


class DocumentSnapshot(DocumentFigures):
    """A priced document's lines, totals and loss flag."""

    lines: list[DocumentLine] = Field(description="The lines, in order.")
    loss_alarm: bool = Field(description="A line or the total is priced below cost.")


class LossAlarmFacts(DocumentFigures):
    """Why a document raised the loss alarm."""

    lines_below_cost: list[int] = Field(description="`line_no` of each line sold below cost.")
    total_below_cost: bool = Field(description="The total is below the total cost.")
    created_by: str = Field(description="User id of who priced the document.")


class MovedToCustomer(Payload):
    """Base of the events that re-point a record to another customer."""

    old_customer_id: UUID = Field(description="The customer it belonged to.")
    reason: RecordMoveReason = Field(description="Why it moved.")
    changed_by: str = Field(description="User id of who caused it (e.g. who merged).")


# --- configuration ---------------------------------------------------------------------------


class SalesConfigurationChangedV1(Payload):
    """A tenant's sales configuration (pipeline stages, timezone, expiry notice) changed."""

    stages: list[PipelineStage] = Field(description="The pipeline, in order.")
    timezone: str = Field(description="IANA timezone the tenant's business days are in.")
    expiring_days_ahead: int = Field(description="Days before its end a contract is expiring.")
    changed_by: str = Field(description="User id of the administrator.")


# --- products --------------------------------------------------------------------------------


class ProductCreatedV1(Payload):
    """A product was added to the catalogue (partition key: the product id)."""

    product_id: UUID = Field(description="The product.")
    sku: str = Field(description="Stock-keeping unit, unique per tenant.")
    name: str = Field(description="Display name.")
    list_price: Money = Field(description="Price per unit before discounts.")
    unit_cost: Money = Field(description="What one unit costs the company.")
    currency: Currency = Field(description="ISO 4217 currency of price and cost.")
    active: bool = Field(description="Whether it can be put on new quotes.")
    created_by: str = Field(description="User id of who added it.")


class ProductUpdatedV1(Payload):
    """A product changed; only changed fields are listed (partition key: the product id)."""

    product_id: UUID = Field(description="The product.")
    changes: dict[str, ChangedValue] = Field(description="Changed fields with old and new value.")
    updated_by: str = Field(description="User id of who changed it.")


# --- opportunities -----------------------------------------------------------------------


class OpportunityCreatedV1(OpportunityRef):
    """An opportunity was opened for a customer."""

    name: str = Field(description="What is being sold.")
    amount: Money = Field(description="Expected deal value.")
    currency: Currency = Field(description="ISO 4217 currency of the amount.")
    expected_close_date: date = Field(description="When the deal is expected to close.")
    probability: int = Field(description="Win probability in percent.")
    stage: str = Field(description="Pipeline stage key.")
    owner_id: str = Field(description="User id of the rep who owns it.")
    campaign_id: UUID | None = Field(description="The campaign it is attributed to, if any.")
    created_by: str = Field(description="User id of who opened it.")


class OpportunityUpdatedV1(OpportunityRef):
    """Descriptive fields of an opportunity (name, campaign) changed."""

    changes: dict[str, ChangedValue] = Field(description="Changed fields with old and new value.")
    updated_by: str = Field(description="User id of who changed it.")


class OpportunityStageChangedV1(OpportunityRef):
    """An opportunity moved through the pipeline (the funnel is built from these)."""

    old_stage: str = Field(description="Stage key before.")
    new_stage: str = Field(description="Stage key after.")
    old_probability: int = Field(description="Probability before, in percent.")
    new_probability: int = Field(description="Probability after, in percent.")
    amount: Money = Field(description="The amount at the time of the move.")
    currency: Currency = Field(description="ISO 4217 currency of the amount.")
    expected_close_date: date = Field(description="Expected close date at the time.")
    owner_id: str = Field(description="The owning rep.")
    changed_by: str = Field(description="User id of who moved it.")


class OpportunityProbabilityChangedV1(OpportunityRef):
    """The win probability of an open opportunity was set by hand."""

    stage: str = Field(description="Its current stage key.")
    old_probability: int = Field(description="Probability before, in percent.")
    new_probability: int = Field(description="Probability after, in percent.")
    changed_by: str = Field(description="User id of who changed it.")


class OpportunityAmountChangedV1(OpportunityRef):
    """The expected value of an opportunity changed (the forecast history needs both)."""

    old_amount: Money = Field(description="Amount before.")
    old_currency: Currency = Field(description="Currency before.")
    new_amount: Money = Field(description="Amount after.")
    currency: Currency = Field(description="Currency after.")
    changed_by: str = Field(description="User id of who changed it.")


class OpportunityCloseDateChangedV1(OpportunityRef):
    """The expected close date of an opportunity moved."""

    old_close_date: date = Field(description="Expected close date before.")
    new_close_date: date = Field(description="Expected close date after.")
    changed_by: str = Field(description="User id of who changed it.")


class OpportunityWonV1(OpportunityRef):
    """An opportunity was won: the customers service makes a prospect a customer."""

    amount: Money = Field(description="The won deal's value.")
    currency: Currency = Field(description="ISO 4217 currency of the amount.")
    owner_id: str = Field(description="The rep credited with the win.")
    campaign_id: UUID | None = Field(description="The campaign it is attributed to, if any.")
    closed_on: date = Field(description="The day it was won.")
    won_by: str = Field(description="User id of who marked it won.")


class OpportunityLostV1(OpportunityRef):
    """An opportunity was lost, with the reason."""

    reason: str = Field(description="Why it was lost.")
    amount: Money = Field(description="The value that was lost.")
    currency: Currency = Field(description="ISO 4217 currency of the amount.")
    owner_id: str = Field(description="The owning rep.")
    closed_on: date = Field(description="The day it was lost.")
    lost_by: str = Field(description="User id of who marked it lost.")


class OpportunityReopenedV1(OpportunityRef):
    """A manager reopened a won or lost opportunity."""

    old_stage: str = Field(description="The won or lost stage it left.")
    new_stage: str = Field(description="The open stage it is back in.")
    reopened_by: str = Field(description="User id of the manager.")


class OpportunityOwnerChangedV1(OpportunityRef):
    """An opportunity got another owner."""

    old_owner_id: str = Field(description="Owner before.")
    new_owner_id: str = Field(description="Owner after.")
    reason: OpportunityOwnerChangeReason = Field(description="Why it changed hands.")
    changed_by: str = Field(description="User id of who did it.")


class OpportunityCustomerChangedV1(OpportunityRef, MovedToCustomer):
    """An opportunity now belongs to another customer (its own was merged into that one)."""


# --- quotes and orders -----------------------------------------------------------------------


class QuoteCreatedV1(QuoteRef, DocumentSnapshot):
    """A quote was drafted."""

    opportunity_id: UUID | None = Field(description="The opportunity it prices, if any.")
    valid_until: date | None = Field(description="Last day the offer holds.")
    created_by: str = Field(description="User id of who drafted it.")


class QuoteRevisedV1(QuoteRef, DocumentSnapshot):
    """The lines or discount of a draft quote changed."""

    revised_by: str = Field(description="User id of who revised it.")


class QuoteLossAlarmRaisedV1(QuoteRef, LossAlarmFacts):
    """A quote is priced below cost: it needs a manager's approval before it goes out."""


class QuoteLossApprovedV1(QuoteRef, DocumentFigures):
    """A manager approved a quote priced below cost."""

    approved_by: str = Field(description="User id of the manager.")


class QuoteSentV1(QuoteRef):
    """A quote was sent to the customer."""

    total: Money = Field(description="What the customer is offered to pay.")
    currency: Currency = Field(description="ISO 4217 currency.")
    valid_until: date | None = Field(description="Last day the offer holds.")
    sent_by: str = Field(description="User id of who sent it.")


class QuoteAcceptedV1(QuoteRef):
    """The customer accepted a quote; an order and a contract may have been created."""

    total: Money = Field(description="The accepted total.")
    currency: Currency = Field(description="ISO 4217 currency.")
    order_id: UUID | None = Field(description="The order created from it, if any.")
    contract_id: UUID | None = Field(description="The contract created from it, if any.")
    accepted_by: str = Field(description="User id of who recorded the acceptance.")


class QuoteRejectedV1(QuoteRef):
    """The customer turned a quote down."""

    reason: str | None = Field(description="What the customer said, if anything.")
    rejected_by: str = Field(description="User id of who recorded it.")


class QuoteCustomerChangedV1(QuoteRef, MovedToCustomer):
    """A quote now belongs to another customer (its own was merged into that one)."""


class OrderCreatedV1(OrderRef, DocumentSnapshot):
    """An order was placed, from an accepted quote or directly."""

    quote_id: UUID | None = Field(description="The accepted quote it came from, if any.")
    status: OrderStatus = Field(description="Confirmed, or waiting for a manager (below cost).")
    created_by: str = Field(description="User id of who placed it.")


class OrderLossAlarmRaisedV1(OrderRef, LossAlarmFacts):
    """An order is priced below cost: it needs a manager's approval to be confirmed."""


class OrderLossApprovedV1(OrderRef, DocumentFigures):
    """A manager approved an order priced below cost."""

    approved_by: str = Field(description="User id of the manager.")


class OrderConfirmedV1(OrderRef, DocumentSnapshot):
    """An order stands: revenue by product and customer counts from here."""

    quote_id: UUID | None = Field(description="The accepted quote it came from, if any.")
    confirmed_by: str = Field(description="User id of who (or whose approval) confirmed it.")


class OrderCancelledV1(OrderRef):
    """An order was cancelled."""

    total: Money = Field(description="The total that no longer counts.")
    currency: Currency = Field(description="ISO 4217 currency.")
    reason: str = Field(description="Why it was cancelled.")
    cancelled_by: str = Field(description="User id of who cancelled it.")


class OrderCustomerChangedV1(OrderRef, MovedToCustomer):
    """An order now belongs to another customer (its own was merged into that one)."""


# --- contracts and subscriptions ----------------------------------------------------------


class ContractCreatedV1(ContractRef):
    """A contract (one subscription period) starts or will start."""

    name: str = Field(description="What is subscribed to.")
    start_date: date = Field(description="First day in force.")
    end_date: date = Field(description="Last day in force.")
    amount: Money | None = Field(description="Value of the period, if known.")
    currency: Currency | None = Field(description="ISO 4217 currency of the amount.")
    quote_id: UUID | None = Field(description="The accepted quote it came from, if any.")
    order_id: UUID | None = Field(description="The order it came with, if any.")
    previous_id: UUID | None = Field(description="The period this one renews, if any.")
    created_by: str = Field(description="User id of who created it.")


class ContractExpiringV1(ContractRef):
    """A contract ends soon and has not been renewed (published once per period)."""

    end_date: date = Field(description="Last day in force.")
    days_left: int = Field(description="Days from the tenant's today to the end date.")


class ContractNotRenewedV1(ContractRef):
    """A contract ended without renewal: do not ship to this customer on it any more."""

    end_date: date = Field(description="Last day it was in force.")


class ContractRenewedV1(ContractRef):
    """A contract was renewed: the next period is a new contract."""

    next_contract_id: UUID = Field(description="The next period's contract.")
    next_start_date: date = Field(description="First day of the next period.")
    next_end_date: date = Field(description="Last day of the next period.")
    renewed_by: str = Field(description="User id of who renewed it.")


class ContractCustomerChangedV1(ContractRef, MovedToCustomer):
    """A contract now belongs to another customer (its own was merged into that one)."""


# --- tasks -----------------------------------------------------------------------------------


class TaskCreatedV1(TaskRef):
    """A task (call, visit, e-mail, meeting) was planned for a rep."""

    subject: str = Field(description="What to do.")
    method: TaskMethod = Field(description="How.")
    start_at: AwareDatetime = Field(description="When it starts.")
    duration_minutes: int = Field(description="How long it takes.")
    assignee_id: str = Field(description="User id of the rep who does it.")
    reminder_at: AwareDatetime | None = Field(description="When to remind the assignee.")
    contact_id: UUID | None = Field(description="The contact it is with, if any.")
    opportunity_id: UUID | None = Field(description="The opportunity it serves, if any.")
    created_by: str = Field(description="User id of who planned it (a manager assigns).")


class TaskRescheduledV1(TaskRef):
    """A task moved in time."""

    old_start_at: AwareDatetime = Field(description="Start before.")
    start_at: AwareDatetime = Field(description="Start after.")
    old_duration_minutes: int = Field(description="Duration before.")
    duration_minutes: int = Field(description="Duration after.")
    reminder_at: AwareDatetime | None = Field(description="When to remind the assignee now.")
    assignee_id: str = Field(description="User id of the rep who does it.")
    rescheduled_by: str = Field(description="User id of who moved it.")


class TaskReassignedV1(TaskRef):
    """A manager gave a task to another rep."""

    old_assignee_id: str = Field(description="Assignee before.")
    assignee_id: str = Field(description="Assignee after.")
    start_at: AwareDatetime = Field(description="When it starts.")
    reassigned_by: str = Field(description="User id of the manager.")


class TaskCompletedV1(TaskRef):
    """A task was done."""

    assignee_id: str = Field(description="User id of the rep who did it.")
    method: TaskMethod = Field(description="How.")
    completed_at: AwareDatetime = Field(description="When it was marked done.")
    outcome: str | None = Field(description="What came of it.")
    completed_by: str = Field(description="User id of who marked it done.")


class TaskOverdueV1(TaskRef):
    """A task is past its end and not done (published at most once per task and day)."""

    assignee_id: str = Field(description="User id of the rep who should do it.")
    subject: str = Field(description="What to do.")
    due_at: AwareDatetime = Field(description="When it should have been done (start + duration).")
    overdue_on: date = Field(description="The tenant's day this reminder is for.")
    days_overdue: int = Field(description="Whole days since it fell due (0 on the first day).")


class TaskCustomerChangedV1(TaskRef, MovedToCustomer):
    """A task is now about another customer (its own was merged into that one)."""


# --- expenses ------------------------------------------------------------------------------


class ExpenseRecordedV1(ExpenseRef):
    """An expense was recorded against a customer and contact (customer profitability)."""

    contact_id: UUID = Field(description="The contact it was spent with.")
    amount: Money = Field(description="What was spent.")
    currency: Currency = Field(description="ISO 4217 currency.")
    category: ExpenseCategory = Field(description="What it was spent on.")
    incurred_on: date = Field(description="The day it was spent.")
    recorded_on: date = Field(description="The tenant's day it was recorded.")
    description: str | None = Field(description="Free text.")
    status: ExpenseStatus = Field(
        description="`approved` when recorded the same day, else `pending_approval`."
    )
    recorded_by: str = Field(description="User id of who spent and recorded it.")


class ExpenseApprovedV1(ExpenseRef):
    """A manager approved an expense recorded after the day it was incurred."""

    amount: Money = Field(description="What was spent.")
    currency: Currency = Field(description="ISO 4217 currency.")
    incurred_on: date = Field(description="The day it was spent.")
    approved_by: str = Field(description="User id of the manager.")


class ExpenseRejectedV1(ExpenseRef):
    """A manager rejected a late expense; it does not count against the customer."""

    reason: str = Field(description="Why.")
    rejected_by: str = Field(description="User id of the manager.")


class ExpenseCustomerChangedV1(ExpenseRef, MovedToCustomer):
    """An expense now counts against another customer (its own was merged into that one)."""


# --- campaigns -----------------------------------------------------------------------------


class CampaignCreatedV1(Payload):
    """A marketing campaign was planned (partition key: the campaign id)."""

    campaign_id: UUID = Field(description="The campaign.")
    name: str = Field(description="Display name.")
    segment_id: UUID = Field(description="The customers service segment it targets.")
    channel: CampaignChannel = Field(description="How it reaches the segment.")
    budget: Money = Field(description="What it may cost.")
    currency: Currency = Field(description="ISO 4217 currency of the budget.")
    start_date: date = Field(description="First day.")
    end_date: date = Field(description="Last day.")
    created_by: str = Field(description="User id of who planned it.")


class CampaignUpdatedV1(Payload):
    """A campaign's plan changed (partition key: the campaign id)."""

    campaign_id: UUID = Field(description="The campaign.")
    changes: dict[str, ChangedValue] = Field(description="Changed fields with old and new value.")
    updated_by: str = Field(description="User id of who changed it.")


class CampaignResponseRecordedV1(Payload):
    """A contact responded to a campaign (partition key: the contact's customer id)."""

    campaign_id: UUID = Field(description="The campaign.")
    customer_id: UUID = Field(description="The contact's customer; also the partition key.")
    contact_id: UUID = Field(description="The contact who responded.")
    response: CampaignResponseKind = Field(description="How they responded.")
    responded_at: AwareDatetime = Field(description="When.")
    recorded_by: str = Field(description="User id (or integration) that recorded it.")


# --- registration --------------------------------------------------------------------------

CUSTOMER = "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"
OLD_CUSTOMER = "8d2b1f7a-0c44-4e0e-9a11-5b6f3c2d1e90"
_OPP = {"opportunity_id": "5b3e8d2a-6f1c-4c1e-8f0a-1d2c3b4a5e60", "customer_id": CUSTOMER}
_QUOTE = {"quote_id": "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "customer_id": CUSTOMER}
_ORDER = {"order_id": "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b", "customer_id": CUSTOMER}
_CONTRACT = {"contract_id": "2c4e6a8b-0d1f-4b3c-9e5a-7c9e1b3d5f70", "customer_id": CUSTOMER}
_TASK = {"task_id": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f", "customer_id": CUSTOMER}
_EXPENSE = {"expense_id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3", "customer_id": CUSTOMER}
_PRODUCT_ID = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
_CAMPAIGN_ID = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081"
_CONTACT_ID = "c0ffee00-1234-4a5b-8c6d-7e8f90a1b2c3"
_MOVED = {"old_customer_id": OLD_CUSTOMER, "reason": "customer_merged", "changed_by": "north-mgr"}
_FIGURES = {
    "currency": "EUR",
    "subtotal": "1800.00",
    "discount_percent": "0",
    "total": "1800.00",
    "cost": "1900.00",
    "margin": "-100.00",
}
_SNAPSHOT = {
    **_FIGURES,
    "lines": [
        {
            "line_no": 1,
            "product_id": _PRODUCT_ID,
            "sku": "FRK-200",
            "name": "Forklift rental, monthly",
            "quantity": "2",
            "unit_price": "1000.00",
            "discount_percent": "10",
            "net_amount": "1800.00",
            "unit_cost": "950.00",
            "cost": "1900.00",
        }
    ],
    "loss_alarm": True,
}
_LOSS = {**_FIGURES, "lines_below_cost": [1], "total_below_cost": True, "created_by": "north-rep"}


def _register(type: str, payload: type[Payload], summary: str, example: dict[str, Any]) -> None:
    register(
        EventSpec(
            type=f"crm.sales.{type}.v1",
            topic=SALES_EVENTS,
            payload=payload,
            summary=summary,
            example=example,
        )
    )


def _moved(entity: str, payload: type[Payload], ref: dict[str, Any]) -> None:
    _register(
        f"{entity}.customer_changed",
        payload,
        f"A {entity} moved to the customer its own customer was merged into.",
        {**ref, **_MOVED},
    )


_register(
    "configuration.changed",
    SalesConfigurationChangedV1,
    "A tenant's pipeline stages, timezone or expiry notice changed.",
    {
        "stages": [
            {"key": "qualification", "name": "Qualification", "probability": 10, "outcome": "open"},
            {"key": "proposal", "name": "Proposal", "probability": 50, "outcome": "open"},
            {"key": "won", "name": "Won", "probability": 100, "outcome": "won"},
            {"key": "lost", "name": "Lost", "probability": 0, "outcome": "lost"},
        ],
        "timezone": "Asia/Shanghai",
        "expiring_days_ahead": 30,
        "changed_by": "admin",
    },
)
_register(
    "product.created",
    ProductCreatedV1,
    "A product was added to the catalogue.",
    {
        "product_id": _PRODUCT_ID,
        "sku": "FRK-200",
        "name": "Forklift rental, monthly",
        "list_price": "1000.00",
        "unit_cost": "950.00",
        "currency": "EUR",
        "active": True,
        "created_by": "admin",
    },
)
_register(
    "product.updated",
    ProductUpdatedV1,
    "A product's name, price, cost or availability changed.",
    {
        "product_id": _PRODUCT_ID,
        "changes": {"list_price": {"old": "1000.00", "new": "1050.00"}},
        "updated_by": "admin",
    },
)
_register(
    "opportunity.created",
    OpportunityCreatedV1,
    "An opportunity was opened.",
    {
        **_OPP,
        "name": "Forklift fleet 2026",
        "amount": "250000.00",
        "currency": "EUR",
        "expected_close_date": "2026-06-30",
        "probability": 10,
        "stage": "qualification",
        "owner_id": "north-rep",
        "campaign_id": _CAMPAIGN_ID,
        "created_by": "north-rep",
    },
)
_register(
    "opportunity.updated",
    OpportunityUpdatedV1,
    "An opportunity's name or campaign changed.",
    {
        **_OPP,
        "changes": {"name": {"old": "Forklifts", "new": "Forklift fleet 2026"}},
        "updated_by": "north-rep",
    },
)
_register(
    "opportunity.stage_changed",
    OpportunityStageChangedV1,
    "An opportunity moved to another pipeline stage.",
    {
        **_OPP,
        "old_stage": "qualification",
        "new_stage": "proposal",
        "old_probability": 10,
        "new_probability": 50,
        "amount": "250000.00",
        "currency": "EUR",
        "expected_close_date": "2026-06-30",
        "owner_id": "north-rep",
        "changed_by": "north-rep",
    },
)
_register(
    "opportunity.probability_changed",
    OpportunityProbabilityChangedV1,
    "An opportunity's win probability was set by hand.",
    {**_OPP, "stage": "proposal", "old_probability": 50, "new_probability": 60, "changed_by": "x"},
)
_register(
    "opportunity.amount_changed",
    OpportunityAmountChangedV1,
    "An opportunity's expected value changed.",
    {
        **_OPP,
        "old_amount": "250000.00",
        "old_currency": "EUR",
        "new_amount": "230000.00",
        "currency": "EUR",
        "changed_by": "north-rep",
    },
)
_register(
    "opportunity.close_date_changed",
    OpportunityCloseDateChangedV1,
    "An opportunity's expected close date moved.",
    {
        **_OPP,
        "old_close_date": "2026-06-30",
        "new_close_date": "2026-07-31",
        "changed_by": "north-rep",
    },
)
_register(
    "opportunity.won",
    OpportunityWonV1,
    "An opportunity was won.",
    {
        **_OPP,
        "amount": "230000.00",
        "currency": "EUR",
        "owner_id": "north-rep",
        "campaign_id": _CAMPAIGN_ID,
        "closed_on": "2026-07-14",
        "won_by": "north-rep",
    },
)
_register(
    "opportunity.lost",
    OpportunityLostV1,
    "An opportunity was lost.",
    {
        **_OPP,
        "reason": "competitor offered a lower price",
        "amount": "250000.00",
        "currency": "EUR",
        "owner_id": "north-rep",
        "closed_on": "2026-07-14",
        "lost_by": "north-rep",
    },
)
_register(
    "opportunity.reopened",
    OpportunityReopenedV1,
    "A manager reopened a won or lost opportunity.",
    {**_OPP, "old_stage": "lost", "new_stage": "negotiation", "reopened_by": "north-mgr"},
)
_register(
    "opportunity.owner_changed",
    OpportunityOwnerChangedV1,
    "An opportunity got another owner.",
    {
        **_OPP,
        "old_owner_id": "north-rep",
        "new_owner_id": "north-rep2",
        "reason": "customer_owner_changed",
        "changed_by": "north-mgr",
    },
)
_moved("opportunity", OpportunityCustomerChangedV1, _OPP)
_register(
    "quote.created",
    QuoteCreatedV1,
    "A quote was drafted.",
    {
        **_QUOTE,
        **_SNAPSHOT,
        "opportunity_id": _OPP["opportunity_id"],
        "valid_until": "2026-05-31",
        "created_by": "north-rep",
    },
)
_register(
    "quote.revised",
    QuoteRevisedV1,
    "A draft quote's lines or discount changed.",
    {**_QUOTE, **_SNAPSHOT, "revised_by": "north-rep"},
)
_register(
    "quote.loss_alarm_raised",
    QuoteLossAlarmRaisedV1,
    "A quote is priced below cost and needs a manager's approval.",
    {**_QUOTE, **_LOSS},
)
_register(
    "quote.loss_approved",
    QuoteLossApprovedV1,
    "A manager approved a quote priced below cost.",
    {**_QUOTE, **_FIGURES, "approved_by": "north-mgr"},
)
_register(
    "quote.sent",
    QuoteSentV1,
    "A quote was sent to the customer.",
    {
        **_QUOTE,
        "total": "1800.00",
        "currency": "EUR",
        "valid_until": "2026-05-31",
        "sent_by": "north-rep",
    },
)
_register(
    "quote.accepted",
    QuoteAcceptedV1,
    "The customer accepted a quote.",
    {
        **_QUOTE,
        "total": "1800.00",
        "currency": "EUR",
        "order_id": _ORDER["order_id"],
        "contract_id": _CONTRACT["contract_id"],
        "accepted_by": "north-rep",
    },
)
_register(
    "quote.rejected",
    QuoteRejectedV1,
    "The customer turned a quote down.",
    {**_QUOTE, "reason": "budget frozen until Q3", "rejected_by": "north-rep"},
)
_moved("quote", QuoteCustomerChangedV1, _QUOTE)
_register(
    "order.created",
    OrderCreatedV1,
    "An order was placed.",
    {
        **_ORDER,
        **_SNAPSHOT,
        "quote_id": _QUOTE["quote_id"],
        "status": "confirmed",
        "created_by": "north-rep",
    },
)
_register(
    "order.loss_alarm_raised",
    OrderLossAlarmRaisedV1,
    "An order is priced below cost and needs a manager's approval.",
    {**_ORDER, **_LOSS},
)
_register(
    "order.loss_approved",
    OrderLossApprovedV1,
    "A manager approved an order priced below cost.",
    {**_ORDER, **_FIGURES, "approved_by": "north-mgr"},
)
_register(
    "order.confirmed",
    OrderConfirmedV1,
    "An order stands; its revenue counts.",
    {**_ORDER, **_SNAPSHOT, "quote_id": _QUOTE["quote_id"], "confirmed_by": "north-mgr"},
)
_register(
    "order.cancelled",
    OrderCancelledV1,
    "An order was cancelled.",
    {
        **_ORDER,
        "total": "1800.00",
        "currency": "EUR",
        "reason": "customer went bankrupt",
        "cancelled_by": "north-mgr",
    },
)
_moved("order", OrderCustomerChangedV1, _ORDER)
_register(
    "contract.created",
    ContractCreatedV1,
    "A contract (subscription period) was created.",
    {
        **_CONTRACT,
        "name": "Forklift rental 2026",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "amount": "21600.00",
        "currency": "EUR",
        "quote_id": _QUOTE["quote_id"],
        "order_id": _ORDER["order_id"],
        "previous_id": None,
        "created_by": "north-rep",
    },
)
_register(
    "contract.expiring",
    ContractExpiringV1,
    "A contract ends soon and has not been renewed.",
    {**_CONTRACT, "end_date": "2026-12-31", "days_left": 30},
)
_register(
    "contract.not_renewed",
    ContractNotRenewedV1,
    "A contract ended without renewal.",
    {**_CONTRACT, "end_date": "2026-12-31"},
)
_register(
    "contract.renewed",
    ContractRenewedV1,
    "A contract was renewed for another period.",
    {
        **_CONTRACT,
        "next_contract_id": "3d5f7b9c-1e2a-4c4d-8f6b-8d0f2c4e6a81",
        "next_start_date": "2027-01-01",
        "next_end_date": "2027-12-31",
        "renewed_by": "north-rep",
    },
)
_moved("contract", ContractCustomerChangedV1, _CONTRACT)
_register(
    "task.created",
    TaskCreatedV1,
    "A task was planned for a rep.",
    {
        **_TASK,
        "subject": "Present the fleet offer",
        "method": "visit",
        "start_at": "2026-03-16T10:00:00+08:00",
        "duration_minutes": 90,
        "assignee_id": "north-rep",
        "reminder_at": "2026-03-16T09:00:00+08:00",
        "contact_id": _CONTACT_ID,
        "opportunity_id": _OPP["opportunity_id"],
        "created_by": "north-mgr",
    },
)
_register(
    "task.rescheduled",
    TaskRescheduledV1,
    "A task moved in time.",
    {
        **_TASK,
        "old_start_at": "2026-03-16T10:00:00+08:00",
        "start_at": "2026-03-17T14:00:00+08:00",
        "old_duration_minutes": 90,
        "duration_minutes": 60,
        "reminder_at": "2026-03-17T13:00:00+08:00",
        "assignee_id": "north-rep",
        "rescheduled_by": "north-rep",
    },
)
_register(
    "task.reassigned",
    TaskReassignedV1,
    "A manager gave a task to another rep.",
    {
        **_TASK,
        "old_assignee_id": "north-rep",
        "assignee_id": "north-rep2",
        "start_at": "2026-03-16T10:00:00+08:00",
        "reassigned_by": "north-mgr",
    },
)
_register(
    "task.completed",
    TaskCompletedV1,
    "A task was done.",
    {
        **_TASK,
        "assignee_id": "north-rep",
        "method": "visit",
        "completed_at": "2026-03-16T11:40:00+08:00",
        "outcome": "asked for a quote on 12 units",
        "completed_by": "north-rep",
    },
)
_register(
    "task.overdue",
    TaskOverdueV1,
    "A task is overdue (once per task and day).",
    {
        **_TASK,
        "assignee_id": "north-rep",
        "subject": "Present the fleet offer",
        "due_at": "2026-03-16T11:30:00+08:00",
        "overdue_on": "2026-03-17",
        "days_overdue": 1,
    },
)
_moved("task", TaskCustomerChangedV1, _TASK)
_register(
    "expense.recorded",
    ExpenseRecordedV1,
    "An expense was recorded against a customer.",
    {
        **_EXPENSE,
        "contact_id": _CONTACT_ID,
        "amount": "86.50",
        "currency": "CNY",
        "category": "meals",
        "incurred_on": "2026-03-16",
        "recorded_on": "2026-03-16",
        "description": "Lunch with the purchasing manager",
        "status": "approved",
        "recorded_by": "north-rep",
    },
)
_register(
    "expense.approved",
    ExpenseApprovedV1,
    "A manager approved a late expense.",
    {
        **_EXPENSE,
        "amount": "86.50",
        "currency": "CNY",
        "incurred_on": "2026-03-16",
        "approved_by": "north-mgr",
    },
)
_register(
    "expense.rejected",
    ExpenseRejectedV1,
    "A manager rejected a late expense.",
    {**_EXPENSE, "reason": "no receipt", "rejected_by": "north-mgr"},
)
_moved("expense", ExpenseCustomerChangedV1, _EXPENSE)
_register(
    "campaign.created",
    CampaignCreatedV1,
    "A campaign was planned.",
    {
        "campaign_id": _CAMPAIGN_ID,
        "name": "Spring fleet renewal",
        "segment_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "channel": "email",
        "budget": "5000.00",
        "currency": "EUR",
        "start_date": "2026-03-01",
        "end_date": "2026-04-30",
        "created_by": "marketer",
    },
)
_register(
    "campaign.updated",
    CampaignUpdatedV1,
    "A campaign's plan changed.",
    {
        "campaign_id": _CAMPAIGN_ID,
        "changes": {"budget": {"old": "5000.00", "new": "6500.00"}},
        "updated_by": "marketer",
    },
)
_register(
    "campaign.response_recorded",
    CampaignResponseRecordedV1,
    "A contact responded to a campaign.",
    {
        "campaign_id": _CAMPAIGN_ID,
        "customer_id": CUSTOMER,
        "contact_id": _CONTACT_ID,
        "response": "interested",
        "responded_at": "2026-03-05T16:20:00+01:00",
        "recorded_by": "integrator",
    },
)
