"""Segments for marketing: define, list members, change a static list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from crm_contracts import new_event
from crm_contracts.customers import SegmentChangedV1
from servicekit.auth import Principal, Role
from servicekit.concurrency import check_version
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound
from servicekit.uow import UnitOfWork
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from crm_customers.adapters.orm import CustomerRow, SegmentMemberRow, SegmentRow
from crm_customers.adapters.repository import visible
from crm_customers.domain.segment import Segment, SegmentKind

CAN_SEGMENT = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER, Role.MARKETING})
_COLUMNS = (
    "id",
    "tenant_id",
    "name",
    "kind",
    "filter",
    "created_by",
    "version",
    "created_at",
    "deleted_at",
)


def _require(principal: Principal) -> None:
    if not principal.has_any(CAN_SEGMENT):
        raise Forbidden("Marketing, managers and administrators manage segments.")


def _emit(uow: UnitOfWork, segment: Segment, by: str) -> None:
    uow.emit(
        new_event(
            SegmentChangedV1(
                segment_id=segment.id,
                name=segment.name,
                kind=segment.kind.value,
                deleted=segment.deleted_at is not None,
                changed_by=by,
            ),
            tenant=segment.tenant_id,
            branch=None,
            partition_key=str(segment.id),
            subject=f"segment/{segment.id}",
            sequence=segment.version,
        )
    )


async def _load(uow: UnitOfWork, segment_id: UUID, tenant: str) -> tuple[Segment, SegmentRow]:
    row = await uow.session.scalar(
        select(SegmentRow)
        .where(
            SegmentRow.id == segment_id,
            SegmentRow.tenant_id == tenant,
            SegmentRow.deleted_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"No segment {segment_id}.")
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["kind"] = SegmentKind(row.kind)
    return Segment(**values), row


def _store(segment: Segment, row: SegmentRow) -> None:
    for name in _COLUMNS:
        setattr(row, name, getattr(segment, name))


async def create(
    uow: UnitOfWork,
    principal: Principal,
    *,
    name: str,
    kind: SegmentKind,
    filter: dict[str, Any] | None,
    members: list[UUID],
) -> Segment:
    _require(principal)
    async with uow:
        segment = Segment.define(
            tenant_id=principal.tenant,
            name=name,
            kind=kind,
            filter=filter,
            created_by=principal.user_id,
        )
        uow.session.add(SegmentRow(**{n: getattr(segment, n) for n in _COLUMNS}))
        await uow.session.flush()
        if members:
            await _add_members(uow, principal, segment.id, members)
        _emit(uow, segment, principal.user_id)
        await uow.commit()
    return segment


async def change(
    uow: UnitOfWork,
    principal: Principal,
    segment_id: UUID,
    *,
    expected_version: int | None,
    name: str | None = None,
    add: list[UUID] | None = None,
    remove: list[UUID] | None = None,
    drop: bool = False,
) -> Segment:
    _require(principal)
    async with uow:
        segment, row = await _load(uow, segment_id, principal.tenant)
        check_version(expected_version, segment.version)
        if drop:
            segment.delete(datetime.now(UTC))
        if name is not None and name != segment.name:
            segment.rename(name)
        if add or remove:
            segment.change_members()
            if add:
                await _add_members(uow, principal, segment.id, add)
            if remove:
                await uow.session.execute(
                    delete(SegmentMemberRow).where(
                        SegmentMemberRow.segment_id == segment.id,
                        SegmentMemberRow.customer_id.in_(remove),
                    )
                )
        _store(segment, row)
        _emit(uow, segment, principal.user_id)
        await uow.commit()
    return segment


async def _add_members(
    uow: UnitOfWork, principal: Principal, segment_id: UUID, ids: list[UUID]
) -> None:
    """Only customers the caller may see can be put on a list (others are reported)."""
    found = set(
        await uow.session.scalars(
            select(CustomerRow.id).where(
                CustomerRow.id.in_(ids), visible(principal), CustomerRow.deleted_at.is_(None)
            )
        )
    )
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise InvalidInput(
            f"Unknown customers: {', '.join(unknown)}",
            errors=[FieldError("members", f"unknown customer {u}") for u in unknown],
        )
    await uow.session.execute(
        insert(SegmentMemberRow)
        .values([{"segment_id": segment_id, "customer_id": i} for i in found])
        .on_conflict_do_nothing()
    )
