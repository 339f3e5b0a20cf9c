"""The Customer aggregate: a company asset with one owner, never a rep's private list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from crm_contracts.customers import LifecycleStage, OwnerChangeReason

from crm_customers.domain import events
from crm_customers.domain.normalise import normalise_email, normalise_name, normalise_phone


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Tier(StrEnum):
    """The value pyramid (002): VIP ≈ top 1% by revenue, large next 4%, medium next 15%."""

    VIP = "vip"
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"


def tier_for(rank: int, count: int) -> Tier:
    """Tier of the customer ranked `rank` (0 = most revenue) among `count`.

    Exact integer shares: top 1% VIP, next 4% large, next 15% medium, the rest small.
    """
    if rank * 100 < count:
        return Tier.VIP
    if rank * 100 < count * 5:
        return Tier.LARGE
    if rank * 100 < count * 20:
        return Tier.MEDIUM
    return Tier.SMALL


class DomainError(Exception):
    """A rule of the customer base was broken: the request is wrong (422)."""


class ConflictError(Exception):
    """The customer's state does not allow this now, e.g. already claimed (409)."""


# Where a stage may go next; churned and lost need a reason (003: keep why we lost them).
TRANSITIONS: dict[LifecycleStage, frozenset[LifecycleStage]] = {
    LifecycleStage.LEAD: frozenset(
        {LifecycleStage.PROSPECT, LifecycleStage.CUSTOMER, LifecycleStage.LOST}
    ),
    LifecycleStage.PROSPECT: frozenset(
        {LifecycleStage.CUSTOMER, LifecycleStage.LOST, LifecycleStage.LEAD}
    ),
    LifecycleStage.CUSTOMER: frozenset({LifecycleStage.CHURNED}),
    LifecycleStage.CHURNED: frozenset({LifecycleStage.CUSTOMER, LifecycleStage.PROSPECT}),
    LifecycleStage.LOST: frozenset({LifecycleStage.LEAD, LifecycleStage.PROSPECT}),
}
NEEDS_REASON = frozenset({LifecycleStage.CHURNED, LifecycleStage.LOST})

EDITABLE_FIELDS = (
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
    "tags",
    "custom_fields",
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Customer:
    id: UUID
    tenant_id: str
    branch_id: str
    name: str
    kind: CustomerKind
    lifecycle_stage: LifecycleStage
    owner_id: str | None
    created_by: str
    category: str | None = None
    industry: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    contact_name: str | None = None
    postal_code: str | None = None
    address: str | None = None
    website: str | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    lifecycle_reason: str | None = None
    tier: Tier | None = None
    satisfaction_score: float | None = None
    revenue: float = 0.0  # won deals (value info, 003); the value pyramid ranks by it
    last_interaction_at: datetime | None = None
    owner_since: datetime | None = None
    pool_warned_at: datetime | None = None
    merged_into: UUID | None = None
    version: int = 1
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    deleted_at: datetime | None = None
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    # -- creation and basic info -------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        tenant_id: str,
        branch_id: str,
        created_by: str,
        name: str,
        kind: CustomerKind = CustomerKind.COMPANY,
        owner_id: str | None = None,
        lifecycle_stage: LifecycleStage = LifecycleStage.LEAD,
        now: datetime | None = None,
        **info: Any,
    ) -> Customer:
        if lifecycle_stage in NEEDS_REASON:
            raise DomainError(f"a new customer cannot start as {lifecycle_stage.value}")
        unknown = set(info) - set(EDITABLE_FIELDS)
        if unknown:
            raise DomainError(f"unknown fields: {', '.join(sorted(unknown))}")
        now = now or _now()
        customer = cls(
            id=uuid4(),
            tenant_id=tenant_id,
            branch_id=branch_id,
            name=name,
            kind=kind,
            lifecycle_stage=lifecycle_stage,
            owner_id=owner_id,
            created_by=created_by,
            owner_since=now if owner_id else None,
            created_at=now,
            updated_at=now,
            **info,
        )
        customer.events.append(events.CustomerCreated(customer.version))
        return customer

    @property
    def normalised(self) -> dict[str, str | None]:
        """Keys duplicate detection compares (003: the same customer entered twice)."""
        return {
            "name_key": normalise_name(self.name),
            "phone_key": normalise_phone(self.phone),
            "email_key": normalise_email(self.email),
        }

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}

    def update(self, changes: dict[str, Any], *, by: str) -> None:
        """Change basic info; records what changed (old and new) for integrators."""
        self._ensure_alive()
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise DomainError(f"not editable here: {', '.join(sorted(unknown))}")
        if "name" in changes and not changes["name"]:
            raise DomainError("name cannot be empty")
        diff = {k: (getattr(self, k), v) for k, v in changes.items() if getattr(self, k) != v}
        if not diff:
            return
        for key, (_, new) in diff.items():
            setattr(self, key, new)
        self._bump()
        self.events.append(events.CustomerUpdated(self.version, diff, by))

    # -- lifecycle ---------------------------------------------------------------------

    def change_stage(self, stage: LifecycleStage, *, reason: str | None, by: str) -> None:
        self._ensure_alive()
        if stage == self.lifecycle_stage:
            return
        if stage not in TRANSITIONS[self.lifecycle_stage]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[self.lifecycle_stage]))
            raise ConflictError(
                f"a {self.lifecycle_stage.value} cannot become {stage.value} (allowed: {allowed})"
            )
        if stage in NEEDS_REASON and not (reason and reason.strip()):
            raise DomainError(f"say why the customer is {stage.value}: reason is required")
        old = self.lifecycle_stage
        self.lifecycle_stage = stage
        self.lifecycle_reason = reason if stage in NEEDS_REASON else None
        self._bump()
        self.events.append(events.LifecycleChanged(self.version, old, stage, reason, by))

    def won_deal(self, amount: float, *, by: str) -> bool:
        """A won opportunity adds revenue and makes a lead, prospect or churned customer a
        customer again; True if the stage moved."""
        self.revenue += amount
        if self.deleted_at is not None or self.lifecycle_stage not in (
            LifecycleStage.LEAD,
            LifecycleStage.PROSPECT,
            LifecycleStage.CHURNED,
        ):
            return False
        self.change_stage(LifecycleStage.CUSTOMER, reason=None, by=by)
        return True

    def rate_satisfaction(self, score: float) -> None:
        """The mean of the customer's weighted service-survey scores (002)."""
        if score == self.satisfaction_score:
            return
        old, self.satisfaction_score = self.satisfaction_score, score
        self._bump()
        self.events.append(
            events.CustomerUpdated(self.version, {"satisfaction_score": (old, score)}, "system")
        )

    def rank(self, tier: Tier) -> None:
        """The value pyramid placed this customer in `tier` (a derived, published fact)."""
        if tier == self.tier:
            return
        old, self.tier = self.tier, tier
        self._bump()
        self.events.append(events.CustomerUpdated(self.version, {"tier": (old, tier)}, "system"))

    # -- ownership and the pool -----------------------------------------------------------

    def claim(self, rep: str, *, rep_branch: str | None, now: datetime) -> None:
        self._ensure_alive()
        if self.owner_id is not None:
            raise ConflictError("this customer is not in the pool any more: someone claimed it")
        if rep_branch is not None and rep_branch != self.branch_id:
            raise ConflictError("a pooled customer can be claimed only within its branch")
        self._hand_over(rep, self.branch_id, OwnerChangeReason.CLAIMED, by=rep, now=now)

    def assign(self, owner: str | None, *, branch: str | None, by: str, now: datetime) -> None:
        self._ensure_alive()
        new_branch = branch or self.branch_id
        if owner == self.owner_id and new_branch == self.branch_id:
            return
        reason = OwnerChangeReason.ASSIGNED if owner else OwnerChangeReason.RELEASED
        self._hand_over(owner, new_branch, reason, by=by, now=now)

    def release(self, *, by: str, now: datetime) -> None:
        self._ensure_alive()
        if self.owner_id is None:
            raise ConflictError("this customer is already in the pool")
        self._hand_over(None, self.branch_id, OwnerChangeReason.RELEASED, by=by, now=now)

    def idle_since(self) -> datetime:
        """The later of the last interaction and getting the current owner."""
        moments = [m for m in (self.last_interaction_at, self.owner_since) if m is not None]
        return max(moments) if moments else self.created_at

    def warn_pool_return(self, *, return_days: int, now: datetime) -> None:
        assert self.owner_id is not None
        returns_at = self.idle_since() + timedelta(days=return_days)
        self.pool_warned_at = now
        self._bump()
        idle = (now - self.idle_since()).days
        self.events.append(events.PoolReturnWarned(self.version, self.owner_id, returns_at, idle))

    def return_to_pool(self, *, now: datetime) -> None:
        self._hand_over(
            None, self.branch_id, OwnerChangeReason.RETURNED_TO_POOL, by="system", now=now
        )

    def _hand_over(
        self,
        owner: str | None,
        branch: str,
        reason: OwnerChangeReason,
        *,
        by: str,
        now: datetime,
    ) -> None:
        old_owner, old_branch = self.owner_id, self.branch_id
        self.owner_id, self.branch_id = owner, branch
        self.owner_since = now if owner else None
        self.pool_warned_at = None
        self._bump(now)
        self.events.append(
            events.OwnerChanged(self.version, old_owner, owner, old_branch, branch, reason, by)
        )

    # -- interactions, deletion, merge -------------------------------------------------

    def touched_by_interaction(self, at: datetime) -> None:
        """An interaction was logged: the owner is working the customer (resets the pool clock)."""
        if self.last_interaction_at is None or at > self.last_interaction_at:
            self.last_interaction_at = at
            self.pool_warned_at = None

    def delete(self, *, by: str, now: datetime) -> None:
        self._ensure_alive()
        self.deleted_at = now
        self._bump(now)
        self.events.append(events.CustomerDeleted(self.version, by))

    def absorb(self, duplicate: Customer, *, by: str, now: datetime) -> None:
        """Merge `duplicate` into this customer: fill gaps from it, then retire it."""
        self._ensure_alive()
        duplicate._ensure_alive()
        if duplicate.id == self.id:
            raise DomainError("a customer cannot be merged into itself")
        if duplicate.tenant_id != self.tenant_id:
            raise DomainError("customers of different companies cannot be merged")
        for name in EDITABLE_FIELDS:
            if name in ("tags", "custom_fields"):
                continue
            if getattr(self, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
                setattr(self, name, getattr(duplicate, name))
        self.tags = sorted(set(self.tags) | set(duplicate.tags))
        self.custom_fields = {**duplicate.custom_fields, **self.custom_fields}
        if duplicate.last_interaction_at:
            self.touched_by_interaction(duplicate.last_interaction_at)
        duplicate.merged_into = self.id
        duplicate.deleted_at = now
        duplicate._bump(now)
        self._bump(now)
        self.events.append(events.CustomerMerged(self.version, duplicate.id, by))

    def _ensure_alive(self) -> None:
        if self.deleted_at is not None:
            raise ConflictError("this customer was deleted or merged")

    def _bump(self, now: datetime | None = None) -> None:
        self.version += 1
        self.updated_at = now or _now()
