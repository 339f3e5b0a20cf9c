"""Report routes: JSON, or CSV with `Accept: text/csv`; each scoped to the reader.

Every report takes `branch`, `owner`, `from` and `to` (months, YYYY-MM); what the period
means is said per report.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from servicekit.paging import PageParams, page_params

from crm_reporting import value, views
from crm_reporting.entrypoints.api import schemas as s
from crm_reporting.entrypoints.api.deps import (
    CSV,
    FiltersDep,
    ReaderDep,
    SessionDep,
    grouping,
    render,
)
from crm_reporting.service_layer import forecast

router = APIRouter(prefix="/reports", tags=["reports"])

OWNED = ("branch", "owner", "month")


@router.get("/customers/summary", response_model=s.CustomerSummary, responses=CSV)
async def customer_summary(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    branch: Annotated[str | None, Query(max_length=64)] = None,
) -> object:
    """Customers by branch and lifecycle stage now."""
    summary = await views.customer_summary(session, principal, branch)
    return render(request, summary, "customers")


@router.get("/customers/growth", response_model=s.Growth, responses=CSV)
async def customer_growth(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "month")],
) -> object:
    """New accounts, new customers, churned customers and lost leads per month (of the
    change); a customer counts under its current branch and owner."""
    return render(request, await views.growth(session, principal, filters, group_by), "growth")


@router.get("/customers/churn-reasons", response_model=s.ChurnReasons, responses=CSV)
async def churn_reasons(
    request: Request, principal: ReaderDep, session: SessionDep, filters: FiltersDep
) -> object:
    """Why customers churned and leads were lost (the month they left)."""
    report = await views.churn_reasons(session, principal, filters)
    return render(request, report, "churn-reasons")


@router.get("/funnel", response_model=s.Funnel, responses=CSV)
async def funnel(
    request: Request, principal: ReaderDep, session: SessionDep, filters: FiltersDep
) -> object:
    """Per pipeline stage: opportunities (created in the period) that entered it and that
    sit in it now, with amounts, and the conversion to the next stage."""
    return render(request, await views.funnel(session, principal, filters), "funnel")


@router.get("/pipeline", response_model=s.Pipeline, responses=CSV)
async def pipeline(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping((*OWNED, "stage"), "month")],
) -> object:
    """Open opportunities and the weighted forecast (amount x probability) by rep, branch,
    stage and month of expected close."""
    report = await views.pipeline(session, principal, filters, group_by)
    return render(request, report, "pipeline")


@router.get("/win-rate", response_model=s.WinRate, responses=CSV)
async def win_rate(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "owner")],
) -> object:
    """Won against lost (count and amount) and the average sales cycle of won deals, by
    month closed."""
    report = await views.win_rate(session, principal, filters, group_by)
    return render(request, report, "win-rate")


@router.get("/sales", response_model=s.Sales, responses=CSV)
async def sales(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "month")],
) -> object:
    """Won deals and their amount by month closed, rep and branch."""
    return render(request, await views.sales(session, principal, filters, group_by), "sales")


@router.get("/sales/products", response_model=s.ProductSales, responses=CSV)
async def product_sales(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "")],
) -> object:
    """Confirmed orders' lines per product (month confirmed; cancelled orders drop out)."""
    report = await views.product_sales(session, principal, filters, group_by)
    return render(request, report, "product-sales")


@router.get("/quotes", response_model=s.Quotes, responses=CSV)
async def quotes(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "owner")],
) -> object:
    """Quotes drafted in the period by where they stand now (draft, sent, accepted,
    rejected), their totals, the acceptance rate and how many were priced below cost."""
    return render(request, await views.quotes(session, principal, filters, group_by), "quotes")


@router.get("/contracts", response_model=s.Contracts, responses=CSV)
async def contracts(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping(OWNED, "month")],
) -> object:
    """Contracts (subscription periods) ending in the period: active, expiring, renewed,
    not renewed, and the renewal rate."""
    report = await views.contracts(session, principal, filters, group_by)
    return render(request, report, "contracts")


@router.get("/value-pyramid", response_model=s.ValuePyramid, responses=CSV)
async def value_pyramid(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    currency: Annotated[
        str | None,
        Query(pattern=r"^[A-Z]{3}$", description="Revenue in this currency; default: the main."),
    ] = None,
) -> object:
    """Customers ranked by revenue (won deals closed in the period) into VIP (top 1%), large
    (next 4%), medium (next 15%) and small, with each tier's share of revenue."""
    report = await value.value_pyramid(session, principal, filters, currency)
    return render(request, report, "value-pyramid")


@router.get("/profitability", response_model=s.Profitability, responses=CSV)
async def profitability(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> object:
    """Per customer: revenue (won deals) minus approved expenses recorded against it, in the
    period; sortable by profit, revenue, expenses, name."""
    report = await value.profitability(session, principal, filters, page)
    return render(request, report, "profitability")


@router.get("/rep-activity", response_model=s.Activity, responses=CSV)
async def rep_activity(
    request: Request, principal: ReaderDep, session: SessionDep, filters: FiltersDep
) -> object:
    """Per rep: interactions, tasks planned, done, done late and overdue in the period; the
    customers they own and how complete those records are."""
    report = await views.rep_activity(session, principal, filters)
    return render(request, report, "rep-activity")


@router.get("/service", response_model=s.Service, responses=CSV)
async def service(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    group_by: Annotated[list[str], grouping((*OWNED, "priority"), "month")],
) -> object:
    """Tickets opened in the period: SLA compliance, time to first response and to resolve,
    CSAT; by branch, agent (owner), month and priority."""
    report = await views.service(session, principal, filters, group_by)
    return render(request, report, "service")


@router.get("/campaigns", response_model=s.Campaigns, responses=CSV)
async def campaigns(
    request: Request, principal: ReaderDep, session: SessionDep, filters: FiltersDep
) -> object:
    """Per campaign: mail sent, responses, attributed opportunities and won revenue against
    the budget."""
    return render(request, await views.campaigns(session, principal, filters), "campaigns")


@router.get("/forecast-accuracy", response_model=s.ForecastAccuracy, responses=CSV)
async def forecast_accuracy(
    request: Request,
    principal: ReaderDep,
    session: SessionDep,
    filters: FiltersDep,
    snapshot: Annotated[UUID, Query(description="The forecast snapshot to judge.")],
    group_by: Annotated[list[str], grouping(OWNED, "month")],
    compare_to: Annotated[
        UUID | None, Query(description="A later snapshot; default: the next one taken.")
    ] = None,
) -> object:
    """A snapshot's forecast (by month of expected close) against a later snapshot and
    against what became of its opportunities."""
    report = await forecast.accuracy(
        session,
        principal,
        filters,
        snapshot_id=snapshot,
        compare_to=compare_to,
        group_by=group_by,
    )
    return render(request, report, "forecast-accuracy")


@router.get("/dimensions", response_model=s.DimensionsRead)
async def dimensions(principal: ReaderDep, session: SessionDep) -> s.DimensionsRead:
    """The branches and owners the reader can filter by."""
    return await views.dimensions(session, principal)
