"""What a company's CRM administrator configures (000): required fields, pool, custom fields."""

from __future__ import annotations

from servicekit.auth import Principal, Role
from servicekit.errors import FieldError, Forbidden, InvalidInput
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_customers.adapters.orm import CustomFieldRow, TenantPolicyRow
from crm_customers.adapters.repository import forget_policy, load_policy
from crm_customers.domain.policy import (
    POLICY_FIELDS,
    CustomFieldDefinition,
    CustomFieldType,
    TenantPolicy,
)


def _admin(principal: Principal) -> None:
    if Role.ADMIN not in principal.roles:
        raise Forbidden("Only the CRM administrator changes company settings.")


async def save_policy(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    *,
    required_fields: list[str],
    pool_return_days: int,
    pool_warning_days: int,
    satisfaction_coefficients: dict[str, float] | None = None,
) -> TenantPolicy:
    _admin(principal)
    async with sessions() as session, session.begin():
        custom = set((await load_policy(session, principal.tenant)).custom_fields)
        allowed = set(POLICY_FIELDS) | {f"custom_fields.{k}" for k in custom}
        unknown = [f for f in required_fields if f not in allowed]
        if unknown:
            raise InvalidInput(
                f"Cannot require {', '.join(unknown)}; choose from {', '.join(sorted(allowed))}.",
                errors=[FieldError("required_fields", f"unknown field {f}") for f in unknown],
            )
        if "name" not in required_fields:
            required_fields = ["name", *required_fields]
        if pool_return_days and pool_warning_days >= pool_return_days:
            raise InvalidInput(
                "Warn before the return, not after it.",
                errors=[FieldError("pool_warning_days", "must be less than pool_return_days")],
            )
        values = {
            "required_fields": list(dict.fromkeys(required_fields)),
            "pool_return_days": pool_return_days,
            "pool_warning_days": pool_warning_days,
            "satisfaction_coefficients": satisfaction_coefficients or {},
        }
        await session.execute(
            insert(TenantPolicyRow)
            .values(tenant_id=principal.tenant, version=1, **values)
            .on_conflict_do_update(
                index_elements=["tenant_id"],
                set_={**values, "version": TenantPolicyRow.version + 1},
            )
        )
        saved = await load_policy(session, principal.tenant)
    forget_policy(session, principal.tenant)
    return saved


async def define_custom_field(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    definition: CustomFieldDefinition,
) -> CustomFieldDefinition:
    _admin(principal)
    if definition.type is CustomFieldType.CHOICE and not definition.choices:
        raise InvalidInput(
            "A choice field needs its choices.",
            errors=[FieldError("choices", "required for type choice")],
        )
    values = {
        "label": definition.label,
        "type": definition.type.value,
        "choices": list(definition.choices),
        "required": definition.required,
    }
    async with sessions() as session, session.begin():
        await session.execute(
            insert(CustomFieldRow)
            .values(tenant_id=principal.tenant, key=definition.key, **values)
            .on_conflict_do_update(index_elements=["tenant_id", "key"], set_=values)
        )
    forget_policy(session, principal.tenant)
    return definition
