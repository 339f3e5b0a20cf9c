"""Repositories: load and store aggregates; they never commit (the unit of work does)."""

from __future__ import annotations

import time
from dataclasses import fields
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from crm_contracts.customers import LifecycleStage
from servicekit.auth import Principal
from sqlalchemy import ColumnElement, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.adapters.orm import (
    Base,
    ContactRow,
    CustomerRow,
    CustomFieldRow,
    InteractionRow,
    OwnershipRow,
    SegmentMemberRow,
    SurveyScoreRow,
    TenantPolicyRow,
)
from crm_customers.domain.contact import Contact
from crm_customers.domain.interaction import Channel, Interaction
from crm_customers.domain.model import Customer, CustomerKind, Tier
from crm_customers.domain.policy import (
    CustomFieldDefinition,
    CustomFieldType,
    TenantPolicy,
    completeness,
    default_policy,
)

A = TypeVar("A")

# Enum-typed fields are stored as their text value.
_ENUMS: dict[str, Any] = {
    "kind": CustomerKind,
    "lifecycle_stage": LifecycleStage,
    "tier": Tier,
    "channel": Channel,
}


class _Mapped(Generic[A]):
    """Keeps aggregates and their rows side by side; copies changes back on sync()."""

    aggregate: type[A]
    row_type: type[Base]

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[UUID, Any] = {}
        self.seen: list[A] = []
        self._columns = [
            f.name
            for f in fields(self.aggregate)  # type: ignore[arg-type]
            if f.name in self.row_type.__table__.columns  # type: ignore[attr-defined]
        ]

    def _load(self, row: Any) -> A:
        values = {name: getattr(row, name) for name in self._columns}
        for name, enum in _ENUMS.items():
            if name in values and values[name] is not None:
                values[name] = enum(values[name])
        aggregate = self.aggregate(**values)
        self._rows[row.id] = row
        self.seen.append(aggregate)
        return aggregate

    def add(self, aggregate: A) -> None:
        row = self.row_type(**{n: getattr(aggregate, n) for n in self._columns})
        self._session.add(row)
        self._rows[aggregate.id] = row  # type: ignore[attr-defined]
        self.seen.append(aggregate)

    def sync(self) -> None:
        for aggregate in self.seen:
            row = self._rows[aggregate.id]  # type: ignore[attr-defined]
            for name, value in self.extra_columns(aggregate).items():
                setattr(row, name, value)
            for name in self._columns:
                value = getattr(aggregate, name)
                if getattr(row, name) != value:
                    setattr(row, name, value)

    def extra_columns(self, aggregate: A) -> dict[str, Any]:
        """Derived columns stored for queries (not part of the aggregate)."""
        return {}


class CustomerRepository(_Mapped[Customer]):
    aggregate = Customer
    row_type = CustomerRow

    async def get(
        self, customer_id: UUID, *, visible_to: Principal, for_update: bool = False
    ) -> Customer | None:
        """The customer if it exists and `visible_to` may see it (else None: answer 404)."""
        return await self._one(
            CustomerRow.id == customer_id,
            visible(visible_to),
            for_update=for_update,
        )

    async def get_in_tenant(
        self, tenant_id: str, customer_id: UUID, *, for_update: bool = False
    ) -> Customer | None:
        """For the system (consumers, jobs): no user scope, still one tenant."""
        return await self._one(
            CustomerRow.id == customer_id,
            CustomerRow.tenant_id == tenant_id,
            for_update=for_update,
        )

    async def idle_owned(self, tenant_id: str, before: datetime, limit: int) -> list[Customer]:
        """Owned customers nobody touched since `before` (candidates for the pool rule)."""
        idle_since = _greatest(
            CustomerRow.last_interaction_at, CustomerRow.owner_since, CustomerRow.created_at
        )
        rows = await self._session.scalars(
            select(CustomerRow)
            .where(
                CustomerRow.tenant_id == tenant_id,
                CustomerRow.owner_id.is_not(None),
                CustomerRow.deleted_at.is_(None),
                idle_since < before,
            )
            .order_by(CustomerRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._load(row) for row in rows]

    async def get_following_merges(self, tenant_id: str, customer_id: UUID) -> Customer | None:
        """The customer, or the one it was merged into (events may name a merged record)."""
        for _ in range(10):  # a chain of merges, bounded
            row = await self._session.scalar(
                select(CustomerRow)
                .where(CustomerRow.id == customer_id, CustomerRow.tenant_id == tenant_id)
                .with_for_update()
            )
            if row is None:
                return None
            if row.merged_into is None:
                return None if row.deleted_at is not None else self._load(row)
            customer_id = row.merged_into
        return None

    async def _one(self, *where: ColumnElement[bool], for_update: bool) -> Customer | None:
        query = select(CustomerRow).where(*where, CustomerRow.deleted_at.is_(None))
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query)
        return self._load(row) if row is not None else None

    def extra_columns(self, aggregate: Customer) -> dict[str, Any]:
        return {**aggregate.normalised, "completeness": completeness(aggregate.values())}


class InteractionRepository(_Mapped[Interaction]):
    aggregate = Interaction
    row_type = InteractionRow

    async def get(
        self, tenant_id: str, customer_id: UUID, interaction_id: UUID
    ) -> Interaction | None:
        row = await self._session.scalar(
            select(InteractionRow)
            .where(
                InteractionRow.id == interaction_id,
                InteractionRow.customer_id == customer_id,
                InteractionRow.tenant_id == tenant_id,
                InteractionRow.deleted_at.is_(None),
            )
            .with_for_update()
        )
        return self._load(row) if row is not None else None


class ContactRepository(_Mapped[Contact]):
    aggregate = Contact
    row_type = ContactRow

    async def of_customer(self, tenant_id: str, customer_id: UUID) -> list[Contact]:
        rows = await self._session.scalars(
            select(ContactRow).where(
                ContactRow.customer_id == customer_id,
                ContactRow.tenant_id == tenant_id,
                ContactRow.deleted_at.is_(None),
            )
        )
        return [self._load(row) for row in rows]

    async def get(self, tenant_id: str, customer_id: UUID, contact_id: UUID) -> Contact | None:
        row = await self._session.scalar(
            select(ContactRow).where(
                ContactRow.id == contact_id,
                ContactRow.customer_id == customer_id,
                ContactRow.tenant_id == tenant_id,
                ContactRow.deleted_at.is_(None),
            )
        )
        return self._load(row) if row is not None else None


def visible(principal: Principal) -> ColumnElement[bool]:
    """Tenant, then role: all branches, the branch, or own customers plus the pool."""
    return principal.visibility(
        tenant_col=CustomerRow.tenant_id,
        branch_col=CustomerRow.branch_id,
        owner_col=CustomerRow.owner_id,
        include_unowned=True,
    )


def _greatest(*columns: Any) -> Any:
    return func.greatest(*columns)


async def load_policy(session: AsyncSession, tenant_id: str) -> TenantPolicy:
    """The tenant's policy (its defaults until an admin saves one)."""
    row = await session.get(TenantPolicyRow, tenant_id)
    base = default_policy(tenant_id)
    custom = {
        r.key: CustomFieldDefinition(
            key=r.key,
            label=r.label,
            type=CustomFieldType(r.type),
            choices=tuple(r.choices),
            required=r.required,
        )
        for r in await session.scalars(
            select(CustomFieldRow).where(CustomFieldRow.tenant_id == tenant_id)
        )
    }
    if row is None:
        return TenantPolicy(
            base.required_fields, base.pool_return_days, base.pool_warning_days, custom
        )
    return TenantPolicy(
        tuple(row.required_fields),
        row.pool_return_days,
        row.pool_warning_days,
        custom,
        {k: float(v) for k, v in (row.satisfaction_coefficients or {}).items()},
    )


# Every create and update checks the tenant's policy: remembering it for a moment saves two
# queries per write. A change saved here is seen at once (`forget_policy`); other replicas
# see it within POLICY_TTL_S.
POLICY_TTL_S = 2.0
_policies: dict[tuple[str, str], tuple[float, TenantPolicy]] = {}


def _policy_key(session: AsyncSession, tenant_id: str) -> tuple[str, str]:
    return (str(session.bind.url) if session.bind is not None else "", tenant_id)


async def current_policy(session: AsyncSession, tenant_id: str) -> TenantPolicy:
    """The tenant's policy as of at most POLICY_TTL_S ago (for the write paths)."""
    key, now = _policy_key(session, tenant_id), time.monotonic()
    remembered = _policies.get(key)
    if remembered is not None and now < remembered[0]:
        return remembered[1]
    policy = await load_policy(session, tenant_id)
    if len(_policies) > 10_000:
        _policies.clear()
    _policies[key] = (now + POLICY_TTL_S, policy)
    return policy


def forget_policy(session: AsyncSession, tenant_id: str) -> None:
    _policies.pop(_policy_key(session, tenant_id), None)


async def repoint_children(
    session: AsyncSession, tenant_id: str, from_id: UUID, to_id: UUID
) -> None:
    """A merge keeps the whole history: contacts, interactions, ownership, segments move."""
    # Contacts moved through their aggregate already (and were published); the rest follow.
    for table in (InteractionRow, OwnershipRow, SurveyScoreRow):
        await session.execute(
            update(table)
            .where(table.tenant_id == tenant_id, table.customer_id == from_id)
            .values(customer_id=to_id)
        )
    await session.execute(
        text(
            "INSERT INTO segment_members (segment_id, customer_id) SELECT segment_id, :to"
            " FROM segment_members WHERE customer_id = :from ON CONFLICT DO NOTHING"
        ),
        {"to": to_id, "from": from_id},
    )
    await session.execute(delete(SegmentMemberRow).where(SegmentMemberRow.customer_id == from_id))


async def record_survey_score(
    session: AsyncSession,
    *,
    tenant_id: str,
    customer_id: UUID,
    survey_id: UUID,
    score: int,
    category: str | None,
    answered_at: datetime,
    weighted: float,
) -> float:
    """Store one answer (once per survey) and return the customer's mean weighted score."""
    await session.execute(
        pg_insert(SurveyScoreRow)
        .values(
            tenant_id=tenant_id,
            survey_id=survey_id,
            customer_id=customer_id,
            score=score,
            category=category,
            weighted=weighted,
            answered_at=answered_at,
        )
        .on_conflict_do_nothing()
    )
    mean = await session.scalar(
        select(func.avg(SurveyScoreRow.weighted)).where(
            SurveyScoreRow.tenant_id == tenant_id, SurveyScoreRow.customer_id == customer_id
        )
    )
    return round(float(mean or 0), 3)
