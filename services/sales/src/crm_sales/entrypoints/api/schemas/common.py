"""Shared schema parts: the base model, money, currency, names, partial updates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(examples=["EUR"])]
# Up to four decimals: unit prices can be fractions of a cent; totals are rounded to cents.
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4, examples=["1250.00"])]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
Probability = Annotated[int, Field(ge=0, le=100)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True, extra="forbid")


class Read(Schema):
    """Responses read attributes (of an aggregate snapshot or a row) and ignore the rest."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


class Patch(Schema):
    """A partial update: omitted fields stay as they are; `null` only where a field may
    be empty (NULLABLE), so `{"amount": null}` is a 422, not a 500."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Reason(Schema):
    reason: Text


class OptionalReason(Schema):
    reason: Text | None = None


class AssignTo(Schema):
    assignee_id: UserId = Field(description="User id of the rep who takes it over.")
