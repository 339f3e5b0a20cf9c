"""Importing customers from CSV.

Every row meets the rules of a single create: the request schema (through the `parse`
function the API hands in), placement by role, and the company's data policy. Bad rows are
reported by row number with every field that is wrong, and never written. Good rows become
Customer aggregates and are written in batches, each batch one unit of work, so every
customer's `created` event enters the outbox with it. Small files are imported while the
client waits; larger ones run as a background task of this process that records its progress
in `import_jobs` in the same transaction as each batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from servicekit.auth import MANAGER_ROLES, Principal
from servicekit.errors import FieldError, Forbidden, InvalidInput, NotFound, Problem
from servicekit.logging import get_logger
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_customers.adapters import import_jobs
from crm_customers.adapters.csv_codec import CsvTable, Record, column_of
from crm_customers.adapters.event_mapping import customer_event
from crm_customers.adapters.orm import CustomerRow, ImportJobRow
from crm_customers.adapters.repository import CustomerRepository, load_policy
from crm_customers.domain.commands import CreateCustomer
from crm_customers.domain.model import NEEDS_REASON, Customer, DomainError
from crm_customers.domain.policy import TenantPolicy
from crm_customers.service_layer.handlers import check_policy, placement
from crm_customers.service_layer.unit_of_work import CustomersUnitOfWork

log = get_logger(__name__)

SYNC_LIMIT = 2_000  # rows answered in the request; more run in the background
BATCH_SIZE = 1_000  # rows per transaction
MAX_ERRORS = 1_000  # row reports kept; `failed` still counts every bad row
MAX_RUNNING = 2  # background imports one process runs at a time; the rest wait queued
# Each job in a process holds a connection (its lock) and its file (up to 64 MB) in memory.
MAX_JOBS = 4
CAN_IMPORT = MANAGER_ROLES
# The column is narrower than the request schema allows; refuse here instead of failing
# the whole batch in the database.
BRANCH_MAX = 64

RowParser = Callable[[dict[str, Any]], tuple[CreateCustomer | None, list[FieldError]]]
"""Request-shaped values -> (command, shape errors). The command is None only when nothing
usable was left; with errors it is built from the valid fields, so the policy can name the
other missing ones too."""


@dataclass(frozen=True)
class RowError:
    row: int
    errors: list[FieldError]


@dataclass
class ImportReport:
    total_rows: int
    status: str = "done"
    processed_rows: int = 0
    imported: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    detail: str | None = None
    id: UUID | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def errors_truncated(self) -> bool:
        return self.failed > len(self.errors)

    def count(self, imported: int, bad: list[RowError]) -> None:
        self.processed_rows += imported + len(bad)
        self.imported += imported
        self.failed += len(bad)
        self.errors += bad[: max(0, MAX_ERRORS - len(self.errors))]

    def errors_json(self) -> dict[str, Any]:
        rows = [
            {"row": e.row, "errors": [{"field": f.field, "message": f.message} for f in e.errors]}
            for e in self.errors
        ]
        return {"rows": rows, "detail": self.detail}

    @classmethod
    def from_row(cls, row: ImportJobRow) -> ImportReport:
        stored = row.errors or {}
        return cls(
            id=row.id,
            status=row.status,
            total_rows=row.total_rows,
            processed_rows=row.processed_rows,
            imported=row.imported,
            failed=row.failed,
            errors=[
                RowError(e["row"], [FieldError(f["field"], f["message"]) for f in e["errors"]])
                for e in stored.get("rows", [])
            ],
            detail=stored.get("detail"),
            created_by=row.created_by,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


class Busy(Problem):
    status, title = 503, "Service unavailable"


def authorize(principal: Principal) -> None:
    """Imports place customers in branches and with owners: managers and up only."""
    if not principal.has_any(CAN_IMPORT):
        raise Forbidden("Your role cannot import customers; ask your branch manager.")


async def load_import_policy(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, table: CsvTable
) -> TenantPolicy:
    """The company's policy; 422 before any row is read if a `cf.` column is unknown."""
    async with sessions() as session:
        policy = await load_policy(session, principal.tenant)
    unknown = [k for k in table.custom_keys if k not in policy.custom_fields]
    if unknown:
        raise InvalidInput(
            "Your company has no custom field "
            + ", ".join(unknown)
            + ": define it in the settings or drop the column.",
            errors=[FieldError(f"cf.{k}", "no such custom field") for k in unknown],
        )
    return policy


# -- one row --------------------------------------------------------------------------------


def build_customer(
    record: Record,
    *,
    parse: RowParser,
    policy: TenantPolicy,
    principal: Principal,
    now: datetime,
) -> Customer | RowError:
    """The new customer, or every reason the row is refused (one message per column).

    The steps of handlers.create_customer, collecting every error instead of stopping at
    the first, and without its transaction.
    """
    if record.problem is not None:
        return RowError(record.number, [record.problem])
    cmd, errors = parse(record.values)
    placed: tuple[str, str | None] | None = None
    custom: dict[str, Any] | None = None
    if cmd is not None:
        try:
            placed = placement(cmd, principal)
            if len(placed[0]) > BRANCH_MAX:
                errors.append(FieldError("branch_id", f"at most {BRANCH_MAX} characters"))
        except Problem as problem:
            # Placement depends on branch_id and owner_id only: name the ones the row set.
            errors += problem.errors or [
                FieldError(f, problem.detail)
                for f in ("branch_id", "owner_id")
                if getattr(cmd, f) is not None
            ]
        try:
            custom = check_policy(policy, {**cmd.info, "name": cmd.name})
        except InvalidInput as exc:
            errors += exc.errors
        if cmd.lifecycle_stage in NEEDS_REASON:
            message = f"a new customer cannot start as {cmd.lifecycle_stage.value}"
            errors.append(FieldError("lifecycle_stage", message))
    if not errors and cmd is not None and placed is not None and custom is not None:
        try:
            return Customer.create(
                tenant_id=principal.tenant,
                branch_id=placed[0],
                owner_id=placed[1],
                created_by=principal.user_id,
                name=cmd.name,
                kind=cmd.kind,
                lifecycle_stage=cmd.lifecycle_stage,
                now=now,
                **{**cmd.info, "custom_fields": custom},
            )
        except DomainError as exc:
            errors = [FieldError("row", str(exc))]
    first: dict[str, FieldError] = {}
    for error in errors:
        column = column_of(error.field)
        first.setdefault(column, FieldError(column, error.message))
    return RowError(record.number, list(first.values()))


def build_batch(
    records: Iterable[Record], *, parse: RowParser, policy: TenantPolicy, principal: Principal
) -> tuple[list[Customer], list[RowError]]:
    now = datetime.now(UTC)
    good: list[Customer] = []
    bad: list[RowError] = []
    for record in records:
        built = build_customer(record, parse=parse, policy=policy, principal=principal, now=now)
        if isinstance(built, RowError):
            bad.append(built)
        else:
            good.append(built)
    return good, bad


async def _write(
    sessions: async_sessionmaker[AsyncSession],
    customers: list[Customer],
    *,
    job: ImportReport | None = None,
    errors_changed: bool = False,
) -> None:
    """One transaction: the customers, their events in the outbox, and the job's progress."""
    async with CustomersUnitOfWork(sessions) as uow:
        if customers:
            # Multi-row INSERTs on the table, not the unit of work's per-object flush (nor the
            # ORM's bulk insert, which splits rows by which fields are empty): far less time
            # per batch. The rows and the events are the ones a single create makes.
            await uow.session.execute(
                insert(CUSTOMERS), [_row(uow.customers, c) for c in customers]
            )
            for customer in customers:
                for event in customer.events:
                    uow.emit(customer_event(customer, event))
                customer.events.clear()
        if job is not None and job.id is not None:
            await import_jobs.save_progress(
                uow.session,
                job.id,
                status=job.status,
                processed=job.processed_rows,
                imported=job.imported,
                failed=job.failed,
                errors=job.errors_json() if errors_changed else None,
                finished_at=job.finished_at,
            )
        await uow.commit()


CUSTOMERS: Table = CustomerRow.__table__  # type: ignore[assignment]
_COLUMNS = [f.name for f in fields(Customer) if f.name in CUSTOMERS.columns]


def _row(repository: CustomerRepository, customer: Customer) -> dict[str, Any]:
    """The row CustomerRepository.add would store (derived columns included)."""
    return {
        **{name: getattr(customer, name) for name in _COLUMNS},
        **repository.extra_columns(customer),
    }


# -- while the client waits -------------------------------------------------------------------


async def import_now(
    *,
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    table: CsvTable,
    parse: RowParser,
    policy: TenantPolicy,
) -> ImportReport:
    """A small file in one transaction: all its good rows are written, or none."""
    # Validation is CPU work: a thread keeps the event loop serving other requests.
    good, bad = await asyncio.to_thread(
        build_batch, table.rows(), parse=parse, policy=policy, principal=principal
    )
    await _write(sessions, good)
    report = ImportReport(total_rows=table.total_rows)
    report.count(len(good), bad)
    return report


# -- in the background ------------------------------------------------------------------------


class BackgroundImports:
    """The background imports of this process (one per app, built on first use)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], database_url: str) -> None:
        self._sessions = sessions
        self._database_url = database_url
        self._slots = asyncio.Semaphore(MAX_RUNNING)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self, *, principal: Principal, table: CsvTable, parse: RowParser, policy: TenantPolicy
    ) -> UUID:
        """Record a queued job and start it; its lock is held before anyone can read it."""
        if len(self._tasks) >= MAX_JOBS:
            raise Busy(
                f"{MAX_JOBS} imports are already under way here; try again in a minute.",
                headers={"Retry-After": "60"},
            )
        job_id = uuid4()
        lock = await import_jobs.hold_lock(self._database_url, job_id)
        try:
            async with self._sessions() as session, session.begin():
                import_jobs.add_job(
                    session,
                    job_id=job_id,
                    tenant=principal.tenant,
                    user=principal.user_id,
                    total=table.total_rows,
                )
        except BaseException:
            await lock.close()
            raise
        job = ImportReport(id=job_id, status="queued", total_rows=table.total_rows)
        task = asyncio.create_task(
            self._run(job, lock, principal, table, parse, policy), name=f"import-{job_id}"
        )
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        return job_id

    async def _run(
        self,
        job: ImportReport,
        lock: Any,
        principal: Principal,
        table: CsvTable,
        parse: RowParser,
        policy: TenantPolicy,
    ) -> None:
        try:
            async with self._slots:
                job.status = "running"
                await self._process(job, principal, table, parse, policy)
        except asyncio.CancelledError:
            await self._fail(job, "The service stopped during the import; import the rest again.")
            raise
        except Exception:
            log.exception("import_failed", job_id=str(job.id), processed=job.processed_rows)
            await self._fail(
                job, f"The import failed after {job.processed_rows} rows; see the service log."
            )
        finally:
            with contextlib.suppress(Exception):
                await lock.close()

    async def _process(
        self,
        job: ImportReport,
        principal: Principal,
        table: CsvTable,
        parse: RowParser,
        policy: TenantPolicy,
    ) -> None:
        await _write(self._sessions, [], job=job)  # status: running
        batches = _chunks(table.rows(), BATCH_SIZE)
        built = self._build(next(batches, None), parse, policy, principal)
        while built is not None:
            good, bad = await built
            upcoming = next(batches, None)
            # Validate the next batch in a thread while this one is being written.
            built = self._build(upcoming, parse, policy, principal)
            committed = replace(job, errors=list(job.errors))
            job.count(len(good), bad)
            if upcoming is None:
                job.status, job.finished_at = "done", datetime.now(UTC)
            try:
                await _write(self._sessions, good, job=job, errors_changed=bool(bad))
            except BaseException:
                vars(job).update(vars(committed))  # a failure reports what was written
                raise
        if job.status != "done":  # a file of blank lines only
            job.status, job.finished_at = "done", datetime.now(UTC)
            await _write(self._sessions, [], job=job)

    def _build(
        self,
        batch: list[Record] | None,
        parse: RowParser,
        policy: TenantPolicy,
        principal: Principal,
    ) -> asyncio.Future[tuple[list[Customer], list[RowError]]] | None:
        if batch is None:
            return None
        return asyncio.ensure_future(
            asyncio.to_thread(build_batch, batch, parse=parse, policy=policy, principal=principal)
        )

    async def _fail(self, job: ImportReport, detail: str) -> None:
        job.status, job.detail, job.finished_at = "failed", detail, datetime.now(UTC)
        try:
            await _write(self._sessions, [], job=job, errors_changed=True)
        except Exception:
            # The lock goes with the process: readers will find the job orphaned.
            log.exception("import_status_not_saved", job_id=str(job.id))


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while batch := list(itertools.islice(records, size)):
        yield batch


async def import_status(
    *, sessions: async_sessionmaker[AsyncSession], principal: Principal, job_id: UUID
) -> ImportReport:
    """A job of the caller's company; 404 for any other."""
    async with sessions() as session:
        row = await import_jobs.get_job(session, principal.tenant, job_id)
        if row is None:
            raise NotFound(f"No import {job_id}.")
        return ImportReport.from_row(row)
