"""Read side: queries that return response schemas directly, always scoped to the reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from crm_contracts.customers import LifecycleStage
from servicekit.auth import Principal
from servicekit.errors import NotFound
from servicekit.paging import Page, PageParams, fetch_page, order_by
from sqlalchemy import Select, any_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.adapters.orm import (
    ContactRow,
    CustomerRow,
    InteractionRow,
    OwnershipRow,
    SegmentMemberRow,
    SegmentRow,
)
from crm_customers.adapters.repository import load_policy, visible
from crm_customers.domain.model import Tier
from crm_customers.domain.segment import SegmentKind
from crm_customers.entrypoints.api.schemas import (
    CompletenessRow,
    ContactRead,
    CustomerRead,
    DuplicateGroup,
    InteractionRead,
    OwnershipRead,
    SegmentRead,
    TimelineEntry,
)

SORTABLE = {
    "name": CustomerRow.name,
    "created_at": CustomerRow.created_at,
    "updated_at": CustomerRow.updated_at,
    "last_interaction_at": CustomerRow.last_interaction_at,
    "lifecycle_stage": CustomerRow.lifecycle_stage,
    "revenue": CustomerRow.revenue,
    "completeness": CustomerRow.completeness,
}


@dataclass(frozen=True)
class CustomerFilter:
    """List filters; a saved segment stores one of these (as JSON)."""

    owner_id: str | None = None
    branch_id: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    tier: Tier | None = None
    industry: str | None = None
    tag: str | None = None
    q: str | None = None
    in_pool: bool | None = None
    custom: tuple[tuple[str, str], ...] = ()

    def clauses(self) -> list[Any]:
        c = CustomerRow
        where: list[Any] = []
        if self.owner_id is not None:
            where.append(c.owner_id == self.owner_id)
        if self.branch_id is not None:
            where.append(c.branch_id == self.branch_id)
        if self.lifecycle_stage is not None:
            where.append(c.lifecycle_stage == self.lifecycle_stage.value)
        if self.tier is not None:
            where.append(c.tier == self.tier.value)
        if self.industry is not None:
            where.append(func.lower(c.industry) == self.industry.lower())
        if self.tag is not None:
            where.append(literal(self.tag) == any_(c.tags))
        if self.in_pool is not None:
            where.append(c.owner_id.is_(None) if self.in_pool else c.owner_id.is_not(None))
        if self.q:
            pattern = f"%{_escape_like(self.q)}%"
            where.append(
                or_(
                    c.name.ilike(pattern),
                    c.phone.ilike(pattern),
                    c.email.ilike(pattern),
                    c.contact_name.ilike(pattern),
                )
            )
        for key, value in self.custom:
            where.append(c.custom_fields[key].astext == value)
        return where

    def as_json(self) -> dict[str, Any]:
        data = {
            k: (v.value if hasattr(v, "value") else v)
            for k, v in vars(self).items()
            if v not in (None, ()) and k != "custom"
        }
        if self.custom:
            data["custom"] = dict(self.custom)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustomerFilter:
        data = dict(data)
        custom = tuple(sorted((data.pop("custom", None) or {}).items()))
        if "lifecycle_stage" in data:
            data["lifecycle_stage"] = LifecycleStage(data["lifecycle_stage"])
        if "tier" in data:
            data["tier"] = Tier(data["tier"])
        return cls(**data, custom=custom)


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customers_query(principal: Principal, where: CustomerFilter) -> Select[Any]:
    return select(CustomerRow).where(
        visible(principal), CustomerRow.deleted_at.is_(None), *where.clauses()
    )


async def list_customers(
    session: AsyncSession, principal: Principal, where: CustomerFilter, page: PageParams
) -> Page[CustomerRead]:
    order = order_by(
        page.sort, SORTABLE, default=[CustomerRow.created_at.desc()], tiebreak=CustomerRow.id
    )
    rows, total = await fetch_page(session, customers_query(principal, where), page, order)
    return Page[CustomerRead](
        items=[CustomerRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def customer(
    session: AsyncSession, customer_id: UUID, principal: Principal
) -> CustomerRead | None:
    row = await session.scalar(
        customers_query(principal, CustomerFilter()).where(CustomerRow.id == customer_id)
    )
    return CustomerRead.model_validate(row) if row is not None else None


async def timeline(
    session: AsyncSession, customer_id: UUID, principal: Principal
) -> list[TimelineEntry]:
    """Interactions and changes of hands, newest first: what the next rep reads first."""
    interactions = await session.scalars(
        select(InteractionRow).where(
            InteractionRow.tenant_id == principal.tenant,
            InteractionRow.customer_id == customer_id,
            InteractionRow.deleted_at.is_(None),
        )
    )
    entries = [
        TimelineEntry(
            at=i.occurred_at, kind="interaction", interaction=InteractionRead.model_validate(i)
        )
        for i in interactions
    ]
    entries += [
        TimelineEntry(at=o.changed_at, kind="ownership", ownership=o)
        for o in await ownership_history(session, customer_id, principal)
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


async def ownership_history(
    session: AsyncSession, customer_id: UUID, principal: Principal
) -> list[OwnershipRead]:
    rows = await session.scalars(
        select(OwnershipRow)
        .where(OwnershipRow.tenant_id == principal.tenant, OwnershipRow.customer_id == customer_id)
        .order_by(OwnershipRow.changed_at, OwnershipRow.id)
    )
    return [OwnershipRead.model_validate(r) for r in rows]


async def contacts(
    session: AsyncSession, customer_id: UUID, principal: Principal
) -> list[ContactRead]:
    rows = await session.scalars(
        select(ContactRow)
        .where(
            ContactRow.tenant_id == principal.tenant,
            ContactRow.customer_id == customer_id,
            ContactRow.deleted_at.is_(None),
        )
        .order_by(ContactRow.is_primary.desc(), ContactRow.name)
    )
    return [ContactRead.model_validate(r) for r in rows]


async def duplicates(
    session: AsyncSession, principal: Principal, limit: int = 100
) -> list[DuplicateGroup]:
    """Groups of visible customers sharing a normalised name, phone or e-mail."""
    groups: list[DuplicateGroup] = []
    for match, column in (
        ("name", CustomerRow.name_key),
        ("phone", CustomerRow.phone_key),
        ("email", CustomerRow.email_key),
    ):
        keys = await session.scalars(
            select(column)
            .where(visible(principal), CustomerRow.deleted_at.is_(None), column.is_not(None))
            .group_by(column)
            .having(func.count() > 1)
            .order_by(column)
            .limit(limit)
        )
        for key in keys:
            rows = await session.scalars(
                customers_query(principal, CustomerFilter())
                .where(column == key)
                .order_by(CustomerRow.created_at)
            )
            groups.append(
                DuplicateGroup(
                    match=match, key=key, customers=[CustomerRead.model_validate(r) for r in rows]
                )
            )
    return groups


async def completeness_by_owner(
    session: AsyncSession, principal: Principal
) -> list[CompletenessRow]:
    """Data quality per rep (003: the administrator checks it daily)."""
    policy = await load_policy(session, principal.tenant)
    missing_any = or_(
        literal(False),
        *[
            or_(getattr(CustomerRow, f).is_(None), func.btrim(getattr(CustomerRow, f)) == "")
            for f in policy.required_fields
            if hasattr(CustomerRow, f)
        ],
    )
    rows = await session.execute(
        select(
            CustomerRow.owner_id,
            func.count(),
            func.avg(CustomerRow.completeness),
            func.count().filter(missing_any),
        )
        .where(visible(principal), CustomerRow.deleted_at.is_(None))
        .group_by(CustomerRow.owner_id)
        .order_by(CustomerRow.owner_id.nulls_last())
    )
    return [
        CompletenessRow(
            owner_id=owner, customers=n, average=round(float(avg or 0), 3), below_policy=below
        )
        for owner, n, avg, below in rows
    ]


def interactions_query(principal: Principal, customer_id: UUID) -> Select[Any]:
    return select(InteractionRow).where(
        InteractionRow.tenant_id == principal.tenant,
        InteractionRow.customer_id == customer_id,
        InteractionRow.deleted_at.is_(None),
    )


async def segments(session: AsyncSession, principal: Principal) -> list[SegmentRead]:
    rows = await session.scalars(
        select(SegmentRow)
        .where(SegmentRow.tenant_id == principal.tenant, SegmentRow.deleted_at.is_(None))
        .order_by(SegmentRow.name)
    )
    return [SegmentRead.model_validate(r) for r in rows]


async def segment(session: AsyncSession, segment_id: UUID, principal: Principal) -> SegmentRead:
    row = await session.scalar(
        select(SegmentRow).where(
            SegmentRow.id == segment_id,
            SegmentRow.tenant_id == principal.tenant,
            SegmentRow.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"No segment {segment_id}.")
    return SegmentRead.model_validate(row)


async def segment_members(
    session: AsyncSession, segment_id: UUID, principal: Principal, page: PageParams
) -> Page[CustomerRead]:
    """Members the reader may see: a static list as stored, a filter resolved now."""
    found = await segment(session, segment_id, principal)
    if found.kind is SegmentKind.FILTER:
        query = customers_query(principal, CustomerFilter.from_json(found.filter))
    else:
        query = customers_query(principal, CustomerFilter()).where(
            CustomerRow.id.in_(
                select(SegmentMemberRow.customer_id).where(
                    SegmentMemberRow.segment_id == segment_id
                )
            )
        )
    order = order_by(page.sort, SORTABLE, default=[CustomerRow.name], tiebreak=CustomerRow.id)
    rows, total = await fetch_page(session, query, page, order)
    return Page[CustomerRead](
        items=[CustomerRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
