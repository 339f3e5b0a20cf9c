"""Request and response schemas of the customers API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from crm_contracts.customers import LifecycleStage, OwnerChangeReason
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from crm_customers.domain.interaction import Channel
from crm_customers.domain.model import CustomerKind, Tier
from crm_customers.domain.policy import POLICY_FIELDS, CustomFieldType
from crm_customers.domain.segment import SegmentKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-./]{5,32}$")]
BranchId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


class CustomerInfo(Schema):
    """Basic information (003): what a complete customer record holds."""

    category: Short | None = None
    industry: Short | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: EmailStr | None = None
    contact_name: Short | None = Field(default=None, description="Main contact person.")
    postal_code: Annotated[str, StringConstraints(max_length=16)] | None = None
    address: Annotated[str, StringConstraints(max_length=400)] | None = None
    website: Annotated[str, StringConstraints(max_length=400)] | None = None
    tags: Annotated[list[Tag], Field(max_length=30)] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, description="Values of the company's custom fields, by key."
    )


EXAMPLE = {
    "name": "Hangzhou Xinyuan Trading Co., Ltd.",
    "kind": "company",
    "lifecycle_stage": "prospect",
    "category": "distributor",
    "industry": "wholesale",
    "phone": "+86 571 8888 6666",
    "fax": "+86 571 8888 6667",
    "email": "purchasing@xinyuan.example.cn",
    "contact_name": "Li Wei",
    "postal_code": "310000",
    "address": "88 Wensan Road, Xihu District, Hangzhou",
    "tags": ["zhejiang", "wholesale"],
}


class CustomerCreate(CustomerInfo):
    name: Name
    kind: CustomerKind = CustomerKind.COMPANY
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    branch_id: BranchId | None = Field(
        default=None, description="Admins and executives choose; others create in their branch."
    )
    owner_id: Short | None = Field(
        default=None,
        description="Managers may assign (null: the pool); a rep owns what they create.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})


class CustomerUpdate(Schema):
    """Only the fields sent change; send null to clear one."""

    name: Name | None = None
    category: Short | None = None
    industry: Short | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    email: EmailStr | None = None
    contact_name: Short | None = None
    postal_code: Annotated[str, StringConstraints(max_length=16)] | None = None
    address: Annotated[str, StringConstraints(max_length=400)] | None = None
    website: Annotated[str, StringConstraints(max_length=400)] | None = None
    tags: Annotated[list[Tag], Field(max_length=30)] | None = None
    custom_fields: dict[str, Any] | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+86 571 8888 7777"}]})


class CustomerRead(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: UUID
    name: str
    kind: CustomerKind
    lifecycle_stage: LifecycleStage
    lifecycle_reason: str | None
    branch_id: str
    owner_id: str | None
    category: str | None
    industry: str | None
    phone: str | None
    fax: str | None
    email: str | None
    contact_name: str | None
    postal_code: str | None
    address: str | None
    website: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    tier: Tier | None = Field(
        description="Value pyramid tier by revenue (vip, large, medium, small)."
    )
    revenue: float = Field(description="Sum of won deals.")
    satisfaction_score: float | None
    last_interaction_at: datetime | None
    owner_since: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class StageChange(Schema):
    stage: LifecycleStage
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stage": "churned", "reason": "moved to a competitor"}]}
    )


class Assignment(Schema):
    owner_id: Short | None = Field(description="The new owner; null puts it in the pool.")
    branch_id: BranchId | None = Field(default=None, description="Move to another branch.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"owner_id": "north-rep2"}]})


class OwnershipRead(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    old_owner_id: str | None
    new_owner_id: str | None
    old_branch_id: str
    new_branch_id: str
    reason: OwnerChangeReason
    changed_by: str
    changed_at: datetime


class InteractionCreate(Schema):
    """Every field is required (003): a record the next rep can act on."""

    occurred_at: datetime
    place: Short
    channel: Channel
    content: Text
    outcome: Text
    next_step: Text
    next_step_due: date
    contact_id: UUID | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_at": "2026-11-20T10:30:00+08:00",
                    "place": "Customer's office, Hangzhou",
                    "channel": "visit",
                    "content": "Presented the annual service plan to the purchasing team.",
                    "outcome": "Interested; they want a quote for 40 seats.",
                    "next_step": "Send the quote and call Mr Li.",
                    "next_step_due": "2026-11-25",
                }
            ]
        }
    )


class InteractionUpdate(Schema):
    occurred_at: datetime | None = None
    place: Short | None = None
    channel: Channel | None = None
    content: Text | None = None
    outcome: Text | None = None
    next_step: Text | None = None
    next_step_due: date | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "They asked for a second demo."}]}
    )


class InteractionRead(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: UUID
    customer_id: UUID
    author_id: str
    occurred_at: datetime
    place: str
    channel: Channel
    content: str
    outcome: str
    next_step: str
    next_step_due: date
    contact_id: UUID | None
    closed_at: datetime | None
    closed_by: str | None
    version: int
    created_at: datetime


class ContactCreate(Schema):
    name: Name
    title: Short | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    is_primary: bool = False

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Li Wei",
                    "title": "Purchasing manager",
                    "email": "li.wei@xinyuan.example.cn",
                }
            ]
        }
    )


class ContactUpdate(Schema):
    name: Name | None = None
    title: Short | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    is_primary: bool | None = None
    unsubscribed: bool | None = Field(default=None, description="Opt out of marketing mail.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Head of purchasing"}, {"unsubscribed": True}]}
    )


class ContactRead(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: UUID
    customer_id: UUID
    name: str
    title: str | None
    phone: str | None
    email: str | None
    is_primary: bool
    unsubscribed_at: datetime | None
    version: int


class MergeRequest(Schema):
    survivor_id: UUID = Field(description="The record to keep.")
    duplicate_id: UUID = Field(description="The record merged into it and retired.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "survivor_id": "3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41",
                    "duplicate_id": "8d2b1f7a-0c44-4e0e-9a11-5b6f3c2d1e90",
                }
            ]
        }
    )


class DuplicateGroup(BaseModel):
    match: str = Field(description="What they share: name, phone or email.")
    key: str
    customers: list[CustomerRead]


class TimelineEntry(BaseModel):
    at: datetime
    kind: str = Field(description="interaction or ownership")
    interaction: InteractionRead | None = None
    ownership: OwnershipRead | None = None


class PolicyRead(BaseModel):
    required_fields: list[str]
    pool_return_days: int
    pool_warning_days: int
    satisfaction_coefficients: dict[str, float] = Field(default_factory=dict)
    allowed_fields: list[str] = Field(default_factory=lambda: list(POLICY_FIELDS))


class PolicyUpdate(Schema):
    required_fields: list[Annotated[str, StringConstraints(max_length=60)]] = Field(max_length=20)
    pool_return_days: int = Field(ge=0, le=3650, description="0 turns the pool rule off.")
    pool_warning_days: int = Field(ge=0, le=365)
    satisfaction_coefficients: dict[
        Annotated[str, StringConstraints(max_length=64)], Annotated[float, Field(ge=0, le=10)]
    ] = Field(
        default_factory=dict,
        description="Survey category -> coefficient (002); categories not listed count 1.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "required_fields": ["name", "phone", "industry"],
                    "pool_return_days": 30,
                    "pool_warning_days": 3,
                    "satisfaction_coefficients": {"response_speed": 1.2},
                }
            ]
        }
    )


class CustomFieldDefinitionIn(Schema):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Short
    type: CustomFieldType
    choices: Annotated[list[Short], Field(max_length=100)] = Field(default_factory=list)
    required: bool = False

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "region",
                    "label": "Sales region",
                    "type": "choice",
                    "choices": ["east", "west"],
                }
            ]
        }
    )


class CustomFieldDefinitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    type: CustomFieldType
    choices: list[str]
    required: bool


class CompletenessRow(BaseModel):
    owner_id: str | None
    customers: int
    average: float = Field(description="Mean share of standard fields filled, 0..1.")
    below_policy: int = Field(description="Customers missing a field the policy requires.")


class SegmentFilter(Schema):
    """The same filters as `GET /customers`, saved."""

    owner_id: Short | None = None
    branch_id: BranchId | None = None
    lifecycle_stage: LifecycleStage | None = None
    tier: Tier | None = None
    industry: Short | None = None
    tag: Tag | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = None
    in_pool: bool | None = None
    custom: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")], str] = Field(
        default_factory=dict
    )


class SegmentCreate(Schema):
    name: Name
    kind: SegmentKind
    filter: SegmentFilter | None = None
    members: Annotated[list[UUID], Field(max_length=10_000)] = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Wholesale prospects",
                    "kind": "filter",
                    "filter": {"industry": "wholesale", "lifecycle_stage": "prospect"},
                },
                {
                    "name": "Trade fair 2026",
                    "kind": "static",
                    "members": ["3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"],
                },
            ]
        }
    )


class SegmentChange(Schema):
    name: Name | None = None
    add: Annotated[list[UUID], Field(max_length=10_000)] = Field(default_factory=list)
    remove: Annotated[list[UUID], Field(max_length=10_000)] = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"add": ["3f0c6c1e-8a53-4c2b-9a57-2f1d8f0b6d41"]}]}
    )


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    kind: SegmentKind
    filter: dict[str, Any]
    created_by: str
    version: int
    created_at: datetime
