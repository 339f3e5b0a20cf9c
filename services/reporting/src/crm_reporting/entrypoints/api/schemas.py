"""Report schemas."""

from __future__ import annotations

from pydantic import BaseModel


class CustomerSummaryRow(BaseModel):
    branch_id: str
    lifecycle_stage: str
    customers: int


class CustomerSummary(BaseModel):
    items: list[CustomerSummaryRow]
    total: int
