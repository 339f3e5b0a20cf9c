"""Unit of work: one transaction per command; state and outbox rows commit together, once."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from crm_contracts import CloudEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.outbox import add_to_outbox
from servicekit.tracing import current_traceparent


class UnitOfWork:
    """Subclass per service to expose repositories built on `self.session`."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._events: list[CloudEvent] = []
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._events = []
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def emit(self, event: CloudEvent) -> None:
        """Publish `event` if and only if this unit of work commits."""
        if event.traceparent is None and (traceparent := current_traceparent.get()):
            event = event.model_copy(update={"traceparent": traceparent})
        self._events.append(event)

    async def commit(self) -> None:
        await add_to_outbox(self.session, self._events)
        await self.session.commit()
        self._events = []
        self._committed = True
