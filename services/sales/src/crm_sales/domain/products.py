"""The Product aggregate: the catalogue entry quotes are priced from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from crm_sales.domain import events
from crm_sales.domain.base import Aggregate
from crm_sales.domain.errors import DomainError

EDITABLE = frozenset({"name", "list_price", "unit_cost", "currency", "active"})


@dataclass(kw_only=True)
class Product(Aggregate):
    ENTITY: ClassVar[str] = "product"

    sku: str
    name: str
    list_price: Decimal
    unit_cost: Decimal
    currency: str
    created_by: str
    active: bool = True

    def __post_init__(self) -> None:
        self._check()

    @classmethod
    def add(
        cls,
        *,
        tenant_id: str,
        sku: str,
        name: str,
        list_price: Decimal,
        unit_cost: Decimal,
        currency: str,
        created_by: str,
    ) -> Product:
        product = cls(
            tenant_id=tenant_id,
            sku=sku,
            name=name,
            list_price=list_price,
            unit_cost=unit_cost,
            currency=currency,
            created_by=created_by,
        )
        product._record(events.Created(created_by=created_by))
        return product

    def update(self, changes: dict[str, object], *, by: str) -> None:
        if diff := self._apply_changes(changes, EDITABLE):
            self._check()
            self._record(events.Updated(changes=diff, updated_by=by))

    def _check(self) -> None:
        for name in ("list_price", "unit_cost"):
            if getattr(self, name) < 0:
                raise DomainError("cannot be negative", field=name)
