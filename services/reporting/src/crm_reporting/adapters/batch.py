"""The projection work of one transaction: gathered event by event, written at the end.

servicekit's consumer applies a partition's batch in one transaction and calls the handler
of each event with that transaction's session. Writing each event on its own would cost a
few round trips per event; instead a handler only adds the event's patches to the pending
batch kept in `session.info`, and the batch is written when the transaction commits (a
`before_commit` listener), in a handful of set-based statements: load the entities the
batch touches, fold the patches in, save them, move the aggregate buckets by the deltas.
On the one-by-one fallback path the same happens per event. The rebuild's replay calls
`flush` itself.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from crm_reporting.adapters import customer_value, store
from crm_reporting.domain.entities import AGGREGATES, CUSTOMER, CUSTOMER_MONEY, KINDS
from crm_reporting.domain.state import Append, Deltas, Patch, State, fold

PENDING = "crm_reporting.pending"


class PendingBatch:
    def __init__(self) -> None:
        self.patches: dict[str, list[Patch]] = defaultdict(list)
        self.appends: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.events = 0

    def add(self, changes: list[Patch | Append]) -> None:
        self.events += 1
        for change in changes:
            if isinstance(change, Patch):
                self.patches[change.kind].append(change)
            else:
                self.appends[change.table].append(dict(change.row))

    async def write(self, session: AsyncSession) -> None:
        deltas = Deltas()
        customers: set[tuple[Any, Any]] = set()  # whose facts or money changed
        for name, kind in KINDS.items():
            patches = self.patches.get(name)
            if not patches:
                continue
            by_key: dict[tuple[Any, ...], list[Patch]] = defaultdict(list)
            for patch in patches:
                by_key[patch.key].append(patch)
            keys = sorted(by_key, key=store.sort_key)
            current = await store.load(session, kind, keys)
            changed: list[State] = []
            for key in keys:
                before = current.get(key)
                state = (
                    {**before, "versions": dict(before["versions"])}
                    if before is not None
                    else kind.blank(key)
                )
                moved = False
                for patch in by_key[key]:
                    moved = fold(state, patch) or moved
                if moved:
                    deltas.move(kind, before, state)
                    changed.append(state)
            await store.save(session, kind, changed)
            if kind is CUSTOMER:
                customers.update((state["tenant_id"], state["customer_id"]) for state in changed)
        nonzero = deltas.nonzero()
        for name, buckets in sorted(nonzero.items()):
            await store.move(session, AGGREGATES[name], buckets)
        for table, rows in sorted(self.appends.items()):
            await store.append(session, table, rows)
        customers.update((key[0], key[1]) for key in nonzero.get(CUSTOMER_MONEY.name, ()))
        await customer_value.refresh(session, customers)  # last: see its module


def pending(session: AsyncSession) -> PendingBatch:
    """The batch of the session's current transaction (made on first use)."""
    batch: PendingBatch | None = session.info.get(PENDING)
    if batch is None:
        batch = session.info[PENDING] = PendingBatch()
        session.info[PENDING + ".session"] = session
    return batch


async def flush(session: AsyncSession) -> int:
    """Write what the session's handlers gathered; returns how many events that was."""
    batch: PendingBatch | None = session.info.pop(PENDING, None)
    session.info.pop(PENDING + ".session", None)
    if batch is None:
        return 0
    await batch.write(session)
    return batch.events


def _write_before_commit(sync_session: Session) -> None:
    owner: AsyncSession | None = sync_session.info.get(PENDING + ".session")
    if owner is not None and PENDING in sync_session.info:
        # Runs inside AsyncSession.commit()'s greenlet: await the async writer from there.
        await_only(flush(owner))


def _forget(sync_session: Session, *_: Any) -> None:
    sync_session.info.pop(PENDING, None)
    sync_session.info.pop(PENDING + ".session", None)


def install() -> None:
    """Write pending batches at commit, for every session (idempotent). Sessions without a
    pending batch (every other service in the process) are not touched."""
    if not event.contains(Session, "before_commit", _write_before_commit):
        event.listen(Session, "before_commit", _write_before_commit)
        event.listen(Session, "after_rollback", _forget)
