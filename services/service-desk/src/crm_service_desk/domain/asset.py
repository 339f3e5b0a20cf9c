"""A product a customer owns: serial, purchase date and warranty end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from crm_contracts.service_desk import RelocationReason

from crm_service_desk.domain import events
from crm_service_desk.domain.errors import DomainError

EDITABLE = ("product", "serial", "purchase_date", "warranty_end")


@dataclass
class Asset:
    id: UUID
    tenant_id: str
    customer_id: UUID
    branch_id: str
    product: str
    serial: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    purchase_date: date | None = None
    warranty_end: date | None = None
    version: int = 1
    events: list[events.AssetEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(
        cls,
        *,
        tenant_id: str,
        customer_id: UUID,
        branch_id: str,
        product: str,
        serial: str,
        by: str,
        now: datetime,
        purchase_date: date | None = None,
        warranty_end: date | None = None,
    ) -> Asset:
        asset = cls(
            id=uuid4(),
            tenant_id=tenant_id,
            customer_id=customer_id,
            branch_id=branch_id,
            product=product,
            serial=serial,
            purchase_date=purchase_date,
            warranty_end=warranty_end,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        asset._check_dates()
        asset.events.append(events.AssetRegistered(asset.version))
        return asset

    def out_of_warranty_on(self, day: date) -> bool:
        """Warranty ended before `day`. An asset without a warranty end is not flagged."""
        return self.warranty_end is not None and self.warranty_end < day

    def update(self, changes: dict[str, Any], *, by: str, now: datetime) -> None:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise DomainError(f"not editable: {', '.join(sorted(unknown))}")
        diff = {k: (getattr(self, k), v) for k, v in changes.items() if getattr(self, k) != v}
        if not diff:
            return
        for key, (_, new) in diff.items():
            setattr(self, key, new)
        self._check_dates()
        self._bump(now)
        self.events.append(events.AssetUpdated(self.version, diff, by))

    def relocate(
        self, customer_id: UUID, branch_id: str, reason: RelocationReason, *, now: datetime
    ) -> None:
        if (customer_id, branch_id) == (self.customer_id, self.branch_id):
            return
        old_customer, old_branch = self.customer_id, self.branch_id
        self.customer_id, self.branch_id = customer_id, branch_id
        self._bump(now)
        self.events.append(events.Relocated(self.version, old_customer, old_branch, reason))

    def _check_dates(self) -> None:
        if self.purchase_date and self.warranty_end and self.warranty_end < self.purchase_date:
            raise DomainError("warranty_end cannot be before purchase_date")

    def _bump(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
