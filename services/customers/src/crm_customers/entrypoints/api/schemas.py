"""Request and response schemas of the customers API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from crm_contracts.customers import LifecycleStage
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from crm_customers.domain.model import CustomerKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-./]{5,32}$")]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


class CustomerCreate(Schema):
    name: Name
    kind: CustomerKind = CustomerKind.COMPANY
    lifecycle_stage: LifecycleStage = LifecycleStage.LEAD
    branch_id: Short | None = Field(
        default=None, description="Admins and executives choose; others create in their branch."
    )
    owner_id: Short | None = Field(
        default=None, description="Managers may assign; a rep always owns what they create."
    )
    category: Short | None = None
    industry: Short | None = None
    phone: Phone | None = None
    email: EmailStr | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Hangzhou Xinyuan Trading Co., Ltd.",
                    "kind": "company",
                    "lifecycle_stage": "prospect",
                    "category": "distributor",
                    "industry": "wholesale",
                    "phone": "+86 571 8888 6666",
                    "email": "purchasing@xinyuan.example.cn",
                }
            ]
        }
    )


class CustomerUpdate(Schema):
    name: Name | None = None
    category: Short | None = None
    industry: Short | None = None
    phone: Phone | None = None
    email: EmailStr | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+86 571 8888 7777"}]})


class CustomerRead(Schema):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: UUID
    name: str
    kind: CustomerKind
    lifecycle_stage: LifecycleStage
    branch_id: str
    owner_id: str | None
    category: str | None
    industry: str | None
    phone: str | None
    email: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
