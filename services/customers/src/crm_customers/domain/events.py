"""What happened to a customer, as the domain sees it (mapped to contracts on the way out).

Each event carries the aggregate version it produced: that is the CloudEvent `sequence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_contracts.customers import LifecycleStage, OwnerChangeReason


@dataclass(frozen=True)
class CustomerCreated:
    version: int


@dataclass(frozen=True)
class CustomerUpdated:
    version: int
    changes: dict[str, tuple[Any, Any]]
    by: str


@dataclass(frozen=True)
class LifecycleChanged:
    version: int
    old: LifecycleStage
    new: LifecycleStage
    reason: str | None
    by: str


@dataclass(frozen=True)
class OwnerChanged:
    version: int
    old_owner: str | None
    new_owner: str | None
    old_branch: str
    new_branch: str
    reason: OwnerChangeReason
    by: str


@dataclass(frozen=True)
class PoolReturnWarned:
    version: int
    owner: str
    returns_at: datetime
    idle_days: int


@dataclass(frozen=True)
class CustomerDeleted:
    version: int
    by: str


@dataclass(frozen=True)
class CustomerMerged:
    version: int
    merged_id: UUID
    by: str


Event = (
    CustomerCreated
    | CustomerUpdated
    | LifecycleChanged
    | OwnerChanged
    | PoolReturnWarned
    | CustomerDeleted
    | CustomerMerged
)
