"""The `import_jobs` table, and the lock that tells a live import from an orphaned one.

A background import runs inside one service process. While it is queued or running, that
process holds a PostgreSQL session-level advisory lock keyed by the job on a connection of its
own. If the process dies, PostgreSQL ends the session and frees the lock; whoever reads the
job next can take the lock and so knows that nobody is working on it any more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_customers.adapters.orm import ImportJobRow

# The two-key advisory lock space does not overlap the one-key space used by the outbox
# relay and the scheduler; this first key marks "customer import jobs".
LOCK_CLASS = 0x0C51_0001
ACTIVE = ("queued", "running")
ORPHANED = "The process running this import stopped before it finished; import the rows again."


def lock_keys(job_id: UUID) -> tuple[int, int]:
    return LOCK_CLASS, job_id.int & 0x7FFF_FFFF


async def hold_lock(database_url: str, job_id: UUID) -> asyncpg.Connection:
    """A connection holding the job's lock: the job counts as alive until it is closed."""
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1, $2)", *lock_keys(job_id))
    except BaseException:
        await conn.close()
        raise
    return conn


def add_job(session: AsyncSession, *, job_id: UUID, tenant: str, user: str, total: int) -> None:
    session.add(
        ImportJobRow(
            id=job_id,
            tenant_id=tenant,
            created_by=user,
            status="queued",
            total_rows=total,
            processed_rows=0,
            imported=0,
            failed=0,
            errors={"rows": []},
        )
    )


async def save_progress(
    session: AsyncSession,
    job_id: UUID,
    *,
    status: str,
    processed: int,
    imported: int,
    failed: int,
    errors: dict[str, Any] | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Counters (and errors when given) of a job, in the caller's transaction."""
    values: dict[str, Any] = {
        "status": status,
        "processed_rows": processed,
        "imported": imported,
        "failed": failed,
    }
    if errors is not None:
        values["errors"] = errors
    if finished_at is not None:
        values["finished_at"] = finished_at
    await session.execute(update(ImportJobRow).where(ImportJobRow.id == job_id).values(**values))


async def get_job(session: AsyncSession, tenant: str, job_id: UUID) -> ImportJobRow | None:
    """The tenant's job; one left active by a dead process is marked failed first."""
    row = await session.scalar(
        select(ImportJobRow).where(ImportJobRow.id == job_id, ImportJobRow.tenant_id == tenant)
    )
    if row is None or row.status not in ACTIVE:
        return row
    # Free lock = no process works on it. The transaction-level lock conflicts with the
    # worker's session-level one and goes away with this transaction.
    orphaned = await session.scalar(select(func.pg_try_advisory_xact_lock(*lock_keys(job_id))))
    if orphaned:
        await session.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id, ImportJobRow.status.in_(ACTIVE))
            .values(
                status="failed",
                finished_at=func.now(),
                errors={**(row.errors or {}), "detail": ORPHANED},
            )
        )
        await session.commit()
        await session.refresh(row)
    return row
