"""Repositories: load and store aggregates; they never commit (the unit of work does)."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from crm_contracts.service_desk import (
    AuthorKind,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from servicekit.auth import Principal
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_service_desk.adapters.orm import (
    AnnouncementRow,
    AssetRow,
    Base,
    CommentRow,
    SurveyRow,
    TicketRow,
)
from crm_service_desk.adapters.scope import visible_assets, visible_tickets
from crm_service_desk.domain.announcement import Announcement
from crm_service_desk.domain.asset import Asset
from crm_service_desk.domain.sla import SlaClock
from crm_service_desk.domain.survey import Survey
from crm_service_desk.domain.ticket import Attachment, Comment, Ticket

A = TypeVar("A")

CLOCKS = {"first_response": "fr_", "resolution": "res_"}
CLOCK_FIELDS = [f.name for f in fields(SlaClock)]


def _columns(aggregate: type[Any], row: type[Base]) -> list[str]:
    table = row.__table__.columns
    return [f.name for f in fields(aggregate) if f.name in table]


class _Repository(Generic[A]):
    """Keeps aggregates and their rows side by side; copies changes back on sync()."""

    row_type: type[Base]

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[UUID, Any] = {}
        self.seen: list[A] = []

    def to_values(self, aggregate: A) -> dict[str, Any]:
        raise NotImplementedError

    def from_row(self, row: Any) -> A:
        raise NotImplementedError

    def add(self, aggregate: A) -> None:
        row = self.row_type(**self.to_values(aggregate))
        self._session.add(row)
        self._remember(row, aggregate)

    def sync(self) -> None:
        for aggregate in self.seen:
            row = self._rows[aggregate.id]  # type: ignore[attr-defined]
            for name, value in self.to_values(aggregate).items():
                if getattr(row, name) != value:
                    setattr(row, name, value)

    def _remember(self, row: Any, aggregate: A) -> A:
        self._rows[row.id] = row
        self.seen.append(aggregate)
        return aggregate

    async def _one(self, *where: ColumnElement[bool], for_update: bool = False) -> A | None:
        query = select(self.row_type).where(*where)
        if for_update:
            query = query.with_for_update()
        row = await self._session.scalar(query)
        return self._remember(row, self.from_row(row)) if row is not None else None

    async def _many(self, query: Any) -> list[A]:
        return [
            self._remember(row, self.from_row(row)) for row in await self._session.scalars(query)
        ]


# -- tickets --------------------------------------------------------------------------------

TICKET_COLUMNS = _columns(Ticket, TicketRow)


def attachments_json(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [asdict(a) for a in attachments]


def ticket_from_row(row: TicketRow) -> Ticket:
    values = {name: getattr(row, name) for name in TICKET_COLUMNS}
    values.update(
        priority=TicketPriority(row.priority),
        channel=TicketChannel(row.channel),
        status=TicketStatus(row.status),
        attachments=tuple(Attachment(**a) for a in row.attachments),
    )
    for name, prefix in CLOCKS.items():
        values[name] = SlaClock(**{f: getattr(row, prefix + f) for f in CLOCK_FIELDS})
    return Ticket(**values)


class TicketRepository(_Repository[Ticket]):
    row_type = TicketRow

    def to_values(self, aggregate: Ticket) -> dict[str, Any]:
        values = {name: getattr(aggregate, name) for name in TICKET_COLUMNS}
        values["attachments"] = attachments_json(aggregate.attachments)
        for name, prefix in CLOCKS.items():
            clock = getattr(aggregate, name)
            values.update({prefix + f: getattr(clock, f) for f in CLOCK_FIELDS})
        return values

    def from_row(self, row: TicketRow) -> Ticket:
        return ticket_from_row(row)

    def sync(self) -> None:
        super().sync()
        for ticket in self.seen:
            for comment in ticket.new_comments:
                self._session.add(comment_row(comment))
            ticket.new_comments.clear()

    async def get(
        self, ticket_id: UUID, *, visible_to: Principal, for_update: bool = False
    ) -> Ticket | None:
        """The ticket if `visible_to` may see it (else None: answer 404)."""
        return await self._one(
            TicketRow.id == ticket_id, visible_tickets(visible_to), for_update=for_update
        )

    async def of_customer(self, tenant_id: str, customer_id: UUID) -> list[Ticket]:
        return await self._many(
            select(TicketRow)
            .where(TicketRow.tenant_id == tenant_id, TicketRow.customer_id == customer_id)
            .order_by(TicketRow.id)
            .with_for_update()
        )

    async def due_for_sla(self, now: datetime, limit: int) -> list[Ticket]:
        """Tickets with a warning or a breach to report at `now`; rows another runner holds
        are skipped (it reports them)."""
        # A warning comes at or before its deadline, so both are found through `warn_at`.
        due = or_(
            *(
                and_(
                    ~getattr(TicketRow, f"{p}breached"),
                    getattr(TicketRow, f"{p}warn_at") <= now,
                    or_(getattr(TicketRow, f"{p}due_at") <= now, ~getattr(TicketRow, f"{p}warned")),
                )
                for p in CLOCKS.values()
            )
        )
        return await self._many(
            select(TicketRow)
            .where(due)
            .order_by(TicketRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )

    async def resolved_before(self, where: ColumnElement[bool], limit: int) -> list[Ticket]:
        return await self._many(
            select(TicketRow)
            .where(TicketRow.status == TicketStatus.RESOLVED, where)
            .order_by(TicketRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )


def comment_row(comment: Comment) -> CommentRow:
    values = asdict(comment)
    values["attachments"] = attachments_json(comment.attachments)
    return CommentRow(**values)


def comment_from_row(row: CommentRow) -> Comment:
    return Comment(
        id=row.id,
        tenant_id=row.tenant_id,
        ticket_id=row.ticket_id,
        ticket_version=row.ticket_version,
        author_id=row.author_id,
        author_kind=AuthorKind(row.author_kind),
        internal=row.internal,
        body=row.body,
        created_at=row.created_at,
        attachments=tuple(Attachment(**a) for a in row.attachments),
    )


# -- assets, surveys, announcements ---------------------------------------------------------

ASSET_COLUMNS = _columns(Asset, AssetRow)


class AssetRepository(_Repository[Asset]):
    row_type = AssetRow

    def to_values(self, aggregate: Asset) -> dict[str, Any]:
        return {name: getattr(aggregate, name) for name in ASSET_COLUMNS}

    def from_row(self, row: AssetRow) -> Asset:
        return Asset(**{name: getattr(row, name) for name in ASSET_COLUMNS})

    async def get(
        self, asset_id: UUID, *, visible_to: Principal, for_update: bool = False
    ) -> Asset | None:
        return await self._one(
            AssetRow.id == asset_id, visible_assets(visible_to), for_update=for_update
        )

    async def in_tenant(self, tenant_id: str, asset_id: UUID) -> Asset | None:
        return await self._one(AssetRow.id == asset_id, AssetRow.tenant_id == tenant_id)

    async def of_customer(self, tenant_id: str, customer_id: UUID) -> list[Asset]:
        return await self._many(
            select(AssetRow)
            .where(AssetRow.tenant_id == tenant_id, AssetRow.customer_id == customer_id)
            .order_by(AssetRow.id)
            .with_for_update()
        )


SURVEY_COLUMNS = _columns(Survey, SurveyRow)


class SurveyRepository(_Repository[Survey]):
    row_type = SurveyRow

    def to_values(self, aggregate: Survey) -> dict[str, Any]:
        return {name: getattr(aggregate, name) for name in SURVEY_COLUMNS}

    def from_row(self, row: SurveyRow) -> Survey:
        return Survey(**{name: getattr(row, name) for name in SURVEY_COLUMNS})

    async def exists_for(self, ticket_id: UUID) -> bool:
        found = await self._session.scalar(
            select(SurveyRow.id).where(SurveyRow.ticket_id == ticket_id)
        )
        return found is not None


ANNOUNCEMENT_COLUMNS = _columns(Announcement, AnnouncementRow)


class AnnouncementRepository(_Repository[Announcement]):
    row_type = AnnouncementRow

    def to_values(self, aggregate: Announcement) -> dict[str, Any]:
        return {name: getattr(aggregate, name) for name in ANNOUNCEMENT_COLUMNS}

    def from_row(self, row: AnnouncementRow) -> Announcement:
        return Announcement(**{name: getattr(row, name) for name in ANNOUNCEMENT_COLUMNS})

    async def get(self, tenant_id: str, announcement_id: UUID) -> Announcement | None:
        return await self._one(
            AnnouncementRow.id == announcement_id,
            AnnouncementRow.tenant_id == tenant_id,
            for_update=True,
        )
