"""Per-tenant rules an administrator configures: required fields, the pool, custom fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

# Fields a policy may require, and that the completeness score counts (003: admin checks
# daily that reps filled in name, category, industry, phone, fax, contact, postcode, address).
POLICY_FIELDS = (
    "name",
    "category",
    "industry",
    "phone",
    "fax",
    "email",
    "contact_name",
    "postal_code",
    "address",
    "website",
)
DEMO_REQUIRED = (
    "name",
    "category",
    "industry",
    "phone",
    "fax",
    "contact_name",
    "postal_code",
    "address",
)


class CustomFieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True)
class CustomFieldDefinition:
    key: str
    label: str
    type: CustomFieldType
    choices: tuple[str, ...] = ()
    required: bool = False

    def coerce(self, value: Any) -> Any:
        """The value as stored (JSON-friendly); ValueError says what is wrong."""
        if self.type is CustomFieldType.TEXT:
            if not isinstance(value, str) or len(value) > 2000:
                raise ValueError("must be text of at most 2000 characters")
            return value
        if self.type is CustomFieldType.NUMBER:
            if isinstance(value, bool):
                raise ValueError("must be a number")
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise ValueError("must be a number") from None
            if not number.is_finite():
                raise ValueError("must be a finite number")
            return float(number) if number % 1 else int(number)
        if self.type is CustomFieldType.DATE:
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValueError("must be a date (YYYY-MM-DD)") from None
        if value not in self.choices:
            raise ValueError(f"must be one of: {', '.join(self.choices)}")
        return value


KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class TenantPolicy:
    required_fields: tuple[str, ...] = ("name",)
    pool_return_days: int = 30
    pool_warning_days: int = 3
    custom_fields: dict[str, CustomFieldDefinition] = field(default_factory=dict)
    satisfaction_coefficients: dict[str, float] = field(default_factory=dict)

    def weighted_score(self, score: int, category: str | None) -> float:
        """Category coefficient x evaluation score (002); unknown or no category counts 1."""
        return score * self.satisfaction_coefficients.get(category or "", 1.0)

    def missing_fields(self, values: dict[str, Any]) -> list[str]:
        """Every required field (standard or custom) that is empty, in a stable order."""
        missing = [f for f in self.required_fields if _blank(values.get(f))]
        custom = values.get("custom_fields") or {}
        missing += [
            f"custom_fields.{key}"
            for key, definition in sorted(self.custom_fields.items())
            if definition.required and _blank(custom.get(key))
        ]
        return missing

    def validate_custom(self, custom: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """(stored values, errors by field) for a custom_fields object."""
        stored: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for key, value in custom.items():
            definition = self.custom_fields.get(key)
            if definition is None:
                errors[f"custom_fields.{key}"] = "no such custom field"
                continue
            if value is None:
                continue
            try:
                stored[key] = definition.coerce(value)
            except ValueError as exc:
                errors[f"custom_fields.{key}"] = str(exc)
        return stored, errors


def default_policy(tenant_id: str) -> TenantPolicy:
    if tenant_id == "demo":
        return TenantPolicy(required_fields=DEMO_REQUIRED)
    return TenantPolicy()


def completeness(values: dict[str, Any]) -> float:
    """Share of the standard fields that are filled, 0..1 (a data-quality score)."""
    filled = sum(0 if _blank(values.get(f)) else 1 for f in POLICY_FIELDS)
    return round(filled / len(POLICY_FIELDS), 3)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
