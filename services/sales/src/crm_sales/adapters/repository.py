"""Repositories: load aggregates from rows and copy them back; never commit (the unit of
work does). One generic repository, with small hooks where a table stores more or less
than the aggregate holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from crm_contracts.sales import ContractStatus, OpportunityStatus, StageOutcome
from servicekit.auth import Principal
from sqlalchemy import ColumnElement, Date, DateTime, Select, and_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_sales.adapters import orm
from crm_sales.adapters.scoping import visible_records, with_customer
from crm_sales.domain.base import TRANSIENT, Aggregate, CustomerRecord, utcnow
from crm_sales.domain.campaigns import Campaign, CampaignResponse
from crm_sales.domain.documents import Order, Quote
from crm_sales.domain.expenses import Expense
from crm_sales.domain.opportunities import Opportunity
from crm_sales.domain.pipeline import (
    DEFAULT_EXPIRING_DAYS,
    DEFAULT_PIPELINE,
    DEFAULT_TIMEZONE,
    Pipeline,
    SalesConfiguration,
    Stage,
)
from crm_sales.domain.pricing import Line, PricedDocument
from crm_sales.domain.products import Product
from crm_sales.domain.subscriptions import RUNNING, Contract
from crm_sales.domain.tasks import Task, TaskStatus

A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    aggregate: type[A]
    row: type[orm.AggregateRow]

    @property
    def what(self) -> str:
        """The record's name in messages."""
        return self.aggregate.ENTITY.replace("_", " ")

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._tracked: dict[UUID, tuple[A, orm.AggregateRow]] = {}
        self._columns = [f.name for f in fields(self.aggregate) if f.name not in TRANSIENT]

    @property
    def seen(self) -> list[A]:
        return [aggregate for aggregate, _ in self._tracked.values()]

    # -- hooks -------------------------------------------------------------------------------

    def _load(self, values: dict[str, Any]) -> dict[str, Any]:
        """Row values -> constructor arguments."""
        return values

    def _dump(self, aggregate: A) -> dict[str, Any]:
        """Aggregate -> row values."""
        return {name: getattr(aggregate, name) for name in self._columns}

    def _select(self) -> Select[Any, Any]:
        """Rows with the branch they belong to (none for tenant-wide records)."""
        return select(self.row, literal(None).label("branch_id"))

    def _visible(self, principal: Principal) -> ColumnElement[bool]:
        return self.row.tenant_id == principal.tenant

    # -- reading -----------------------------------------------------------------------------

    def _track(self, row: orm.AggregateRow, branch_id: str | None) -> A:
        if row.id in self._tracked:
            return self._tracked[row.id][0]
        aggregate = self.aggregate(
            **self._load({name: getattr(row, name) for name in self._columns})
        )
        if isinstance(aggregate, CustomerRecord):
            aggregate.branch_id = branch_id
        self._tracked[row.id] = (aggregate, row)
        return aggregate

    async def _fetch(self, query: Select[Any, Any]) -> list[A]:
        result = await self._session.execute(query)
        return [self._track(row, branch) for row, branch in result]

    async def get(self, record_id: UUID, *, visible_to: Principal) -> A | None:
        """The record if it exists and `visible_to` may see it (else None: answer 404)."""
        query = self._select().where(self.row.id == record_id, self._visible(visible_to))
        found = await self._fetch(query)
        return found[0] if found else None

    async def find(self, *where: ColumnElement[bool]) -> list[A]:
        """Records matching `where` in any tenant: for consumers, not for users."""
        return await self._fetch(self._select().where(*where).order_by(self.row.id))

    async def _batch(
        self, where: Sequence[ColumnElement[bool]], after: UUID | None, limit: int
    ) -> list[A]:
        """A locked batch for a job, by id, with each tenant's configuration joined in."""
        query = self._select().outerjoin(
            orm.ConfigurationRow, orm.ConfigurationRow.tenant_id == self.row.tenant_id
        )
        if after is not None:
            query = query.where(self.row.id > after)
        query = query.where(*where).order_by(self.row.id).limit(limit)
        # Another replica's tick skips what this one holds instead of waiting on it.
        return await self._fetch(query.with_for_update(of=self.row, skip_locked=True))

    # -- writing -----------------------------------------------------------------------------

    def add(self, aggregate: A) -> None:
        row = self.row(**self._dump(aggregate))
        self._session.add(row)
        self._tracked[aggregate.id] = (aggregate, row)

    def sync(self) -> None:
        """Copy changed aggregates onto their rows before the flush."""
        for aggregate, row in self._tracked.values():
            for name, value in self._dump(aggregate).items():
                if getattr(row, name) != value:
                    setattr(row, name, value)


class CustomerRecordRepository(Repository[A]):
    row: type[orm.CustomerRecordRow]

    def _select(self) -> Select[Any, Any]:
        return with_customer(select(self.row, orm.CustomerFact.branch_id), self.row)

    def _visible(self, principal: Principal) -> ColumnElement[bool]:
        return visible_records(principal, self.row)

    async def of_customer(self, tenant_id: str, customer_id: UUID) -> list[A]:
        return await self.find(self.row.tenant_id == tenant_id, self.row.customer_id == customer_id)


class ProductRepository(Repository[Product]):
    aggregate, row = Product, orm.ProductRow

    async def in_tenant(self, tenant_id: str, ids: Iterable[UUID]) -> dict[UUID, Product]:
        wanted = set(ids)
        found = await self.find(self.row.tenant_id == tenant_id, self.row.id.in_(wanted))
        return {product.id: product for product in found}


class OpportunityRepository(CustomerRecordRepository[Opportunity]):
    aggregate, row = Opportunity, orm.OpportunityRow

    async def open_stages_in_use(self, tenant_id: str) -> set[str]:
        stages = await self._session.scalars(
            select(orm.OpportunityRow.stage)
            .where(
                orm.OpportunityRow.tenant_id == tenant_id,
                orm.OpportunityRow.status == OpportunityStatus.OPEN,
            )
            .distinct()
        )
        return set(stages)


def _json_to_lines(data: Sequence[dict[str, Any]]) -> tuple[Line, ...]:
    return tuple(
        Line(
            product_id=UUID(item["product_id"]),
            sku=item["sku"],
            name=item["name"],
            quantity=Decimal(item["quantity"]),
            unit_price=Decimal(item["unit_price"]),
            discount_percent=Decimal(item["discount_percent"]),
            unit_cost=Decimal(item["unit_cost"]),
        )
        for item in data
    )


class DocumentRepository(CustomerRecordRepository[A]):
    """Lines are stored as JSON (decimals as strings); totals beside them for sorting."""

    def _load(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "lines": _json_to_lines(values["lines"])}

    def _dump(self, aggregate: A) -> dict[str, Any]:
        assert isinstance(aggregate, PricedDocument)
        values = super()._dump(aggregate)
        values["lines"] = [
            {k: str(v) if isinstance(v, Decimal | UUID) else v for k, v in line.items()}
            for line in (line.as_dict(no) for no, line in enumerate(aggregate.lines, start=1))
        ]
        for name in ("subtotal", "total", "cost", "margin"):
            values[name] = getattr(aggregate, name)
        return values


class QuoteRepository(DocumentRepository[Quote]):
    aggregate, row = Quote, orm.QuoteRow


class OrderRepository(DocumentRepository[Order]):
    aggregate, row = Order, orm.OrderRow


class ContractRepository(CustomerRecordRepository[Contract]):
    aggregate, row = Contract, orm.ContractRow

    async def due_for_review(self, now: datetime, after: UUID | None, limit: int) -> list[Contract]:
        """Running contracts that ended or entered their tenant's expiry notice period."""
        row, today = orm.ContractRow, _tenant_day(now)
        notice = func.coalesce(orm.ConfigurationRow.expiring_days_ahead, DEFAULT_EXPIRING_DAYS)
        return await self._batch(
            [
                row.status.in_(RUNNING),
                or_(
                    row.end_date < today,
                    and_(row.status == ContractStatus.ACTIVE, row.end_date - notice <= today),
                ),
            ],
            after,
            limit,
        )


class TaskRepository(CustomerRecordRepository[Task]):
    aggregate, row = Task, orm.TaskRow

    async def overdue_to_remind(self, now: datetime, after: UUID | None, limit: int) -> list[Task]:
        """Open tasks past their end not yet reminded about on their tenant's today."""
        row = orm.TaskRow
        return await self._batch(
            [
                row.status == TaskStatus.OPEN,
                row.due_at < now,
                or_(row.overdue_notified_on.is_(None), row.overdue_notified_on < _tenant_day(now)),
            ],
            after,
            limit,
        )

    def _dump(self, aggregate: Task) -> dict[str, Any]:
        return {**super()._dump(aggregate), "due_at": aggregate.due_at}


class ExpenseRepository(CustomerRecordRepository[Expense]):
    aggregate, row = Expense, orm.ExpenseRow


class CampaignRepository(Repository[Campaign]):
    aggregate, row = Campaign, orm.CampaignRow


class ResponseRepository(CustomerRecordRepository[CampaignResponse]):
    aggregate, row = CampaignResponse, orm.CampaignResponseRow

    async def of_contact(
        self, tenant_id: str, campaign_id: UUID, contact_id: UUID, *, customer_id: UUID
    ) -> CampaignResponse:
        """The contact's response record, created empty on the first response; locked, so
        two responses arriving together are recorded one after the other."""
        now = utcnow()
        await self._session.execute(
            insert(orm.CampaignResponseRow)
            .values(
                id=uuid4(),
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                contact_id=contact_id,
                customer_id=customer_id,
                version=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id"])
        )
        query = self._select().where(
            self.row.tenant_id == tenant_id,
            self.row.campaign_id == campaign_id,
            self.row.contact_id == contact_id,
        )
        [response] = await self._fetch(query.with_for_update(of=self.row))
        return response


def _tenant_day(now: datetime) -> ColumnElement[date]:
    """The tenant's calendar day at `now`, in SQL (for a query joined to its configuration)."""
    zone = func.coalesce(orm.ConfigurationRow.timezone, DEFAULT_TIMEZONE)
    return cast(func.timezone(zone, literal(now, DateTime(timezone=True))), Date)


class ConfigurationRepository:
    """The tenant's configuration, or the defaults (saved on the first change)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._tracked: dict[str, tuple[SalesConfiguration, orm.ConfigurationRow | None]] = {}

    @property
    def seen(self) -> list[SalesConfiguration]:
        return [config for config, _ in self._tracked.values()]

    async def get(self, tenant_id: str) -> SalesConfiguration:
        if tenant_id in self._tracked:
            return self._tracked[tenant_id][0]
        row = await self._session.get(orm.ConfigurationRow, tenant_id)
        config = SalesConfiguration(tenant_id=tenant_id) if row is None else _config(row)
        self._tracked[tenant_id] = (config, row)
        return config

    def sync(self) -> None:
        for tenant_id, (config, row) in list(self._tracked.items()):
            if config.version == 0:
                continue  # still the defaults: nothing to store
            values = {
                "stages": [
                    {
                        "key": s.key,
                        "name": s.name,
                        "probability": s.probability,
                        "outcome": s.outcome.value,
                    }
                    for s in config.pipeline.stages
                ],
                "timezone": config.timezone,
                "expiring_days_ahead": config.expiring_days_ahead,
                "version": config.version,
                "updated_at": config.updated_at,
            }
            if row is None:
                row = orm.ConfigurationRow(
                    tenant_id=tenant_id, created_at=config.created_at, **values
                )
                self._session.add(row)
                self._tracked[tenant_id] = (config, row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)


def _config(row: orm.ConfigurationRow) -> SalesConfiguration:
    stages = tuple(
        Stage(s["key"], s["name"], int(s["probability"]), StageOutcome(s["outcome"]))
        for s in row.stages
    )
    return SalesConfiguration(
        tenant_id=row.tenant_id,
        pipeline=Pipeline(stages) if stages else DEFAULT_PIPELINE,
        timezone=row.timezone,
        expiring_days_ahead=row.expiring_days_ahead,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
