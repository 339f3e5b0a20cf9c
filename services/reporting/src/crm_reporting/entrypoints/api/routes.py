"""Reporting HTTP routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from servicekit.app import SessionsDep
from servicekit.auth import PrincipalDep

from crm_reporting import views
from crm_reporting.entrypoints.api.schemas import CustomerSummary

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/customers/summary", response_model=CustomerSummary)
async def customer_summary(
    principal: PrincipalDep,
    sessions: SessionsDep,
    branch: Annotated[str | None, Query(max_length=64)] = None,
) -> CustomerSummary:
    """Customers by branch and lifecycle stage, within what the reader may see."""
    return await views.customer_summary(sessions, principal, branch)
