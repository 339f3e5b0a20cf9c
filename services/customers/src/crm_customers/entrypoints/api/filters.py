"""The list filters of GET /customers, shared by every route that lists customers."""

from __future__ import annotations

from typing import Annotated

from crm_contracts.customers import LifecycleStage
from fastapi import Depends, Query, Request
from servicekit.errors import FieldError, InvalidInput

from crm_customers.domain.model import Tier
from crm_customers.views import CustomerFilter


def parse_filter(request: Request, **named: object) -> CustomerFilter:
    """Named filters plus `cf.<key>=value` for custom fields."""
    custom = tuple(
        sorted(
            (k.removeprefix("cf."), v)
            for k, v in request.query_params.items()
            if k.startswith("cf.")
        )
    )
    for key, _ in custom:
        if not key.replace("_", "").isalnum():
            raise InvalidInput(
                "Bad custom field filter.", errors=[FieldError(f"cf.{key}", "bad key")]
            )
    return CustomerFilter(**named, custom=custom)  # type: ignore[arg-type]


async def customer_filter(
    request: Request,
    owner_id: Annotated[str | None, Query(max_length=128)] = None,
    branch_id: Annotated[str | None, Query(max_length=64)] = None,
    lifecycle_stage: LifecycleStage | None = None,
    tier: Tier | None = None,
    industry: Annotated[str | None, Query(max_length=120)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name, phone, e-mail.")] = None,
) -> CustomerFilter:
    """The filters of GET /customers, `cf.<key>=value` included."""
    return parse_filter(
        request,
        owner_id=owner_id,
        branch_id=branch_id,
        lifecycle_stage=lifecycle_stage,
        tier=tier,
        industry=industry,
        tag=tag,
        q=q,
    )


FilterDep = Annotated[CustomerFilter, Depends(customer_filter)]
