"""What happened to a customer, as the domain sees it (mapped to contracts on the way out)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class CustomerCreated:
    customer_id: UUID
    version: int


@dataclass(frozen=True)
class CustomerUpdated:
    customer_id: UUID
    version: int
    changes: dict[str, tuple[str | None, str | None]]
    by: str


Event = CustomerCreated | CustomerUpdated
