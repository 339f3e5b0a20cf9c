"""Company settings of the customer base: the data policy, the pool rule, custom fields."""

from __future__ import annotations

from fastapi import APIRouter, status
from servicekit.app import SessionsDep
from servicekit.auth import PrincipalDep

from crm_customers.adapters.repository import load_policy
from crm_customers.domain.policy import CustomFieldDefinition, TenantPolicy
from crm_customers.entrypoints.api.deps import STAFF, SessionDep
from crm_customers.entrypoints.api.schemas import (
    CustomFieldDefinitionIn,
    CustomFieldDefinitionRead,
    PolicyRead,
    PolicyUpdate,
)
from crm_customers.service_layer import tenant_settings

router = APIRouter(prefix="/settings", tags=["company settings"], dependencies=[STAFF])


def _read(policy: TenantPolicy) -> PolicyRead:
    return PolicyRead(
        required_fields=list(policy.required_fields),
        pool_return_days=policy.pool_return_days,
        pool_warning_days=policy.pool_warning_days,
        satisfaction_coefficients=policy.satisfaction_coefficients,
    )


@router.get("/policy", response_model=PolicyRead)
async def get_policy(principal: PrincipalDep, session: SessionDep) -> PolicyRead:
    """Required fields and the pool rule of your company."""
    policy = await load_policy(session, principal.tenant)
    return _read(policy)


@router.put("/policy", response_model=PolicyRead)
async def put_policy(
    body: PolicyUpdate, principal: PrincipalDep, sessions: SessionsDep
) -> PolicyRead:
    """Administrators only. Applies to every create and update from now on."""
    policy = await tenant_settings.save_policy(sessions, principal, **body.model_dump())
    return _read(policy)


@router.get("/custom-fields", response_model=list[CustomFieldDefinitionRead])
async def list_custom_fields(
    principal: PrincipalDep, session: SessionDep
) -> list[CustomFieldDefinitionRead]:
    policy = await load_policy(session, principal.tenant)
    return [
        CustomFieldDefinitionRead.model_validate(d, from_attributes=True)
        for _, d in sorted(policy.custom_fields.items())
    ]


@router.put(
    "/custom-fields/{key}", status_code=status.HTTP_200_OK, response_model=CustomFieldDefinitionRead
)
async def put_custom_field(
    key: str, body: CustomFieldDefinitionIn, principal: PrincipalDep, sessions: SessionsDep
) -> CustomFieldDefinitionRead:
    """Administrators define a custom field (text, number, date or choice)."""
    definition = CustomFieldDefinition(
        key=body.key,
        label=body.label,
        type=body.type,
        choices=tuple(body.choices),
        required=body.required,
    )
    saved = await tenant_settings.define_custom_field(sessions, principal, definition)
    return CustomFieldDefinitionRead.model_validate(saved, from_attributes=True)
