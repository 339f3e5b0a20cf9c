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
        self._sessions: async_sessionmaker[AsyncSession] | None = sessions
        self._joined: AsyncSession | None = None
        self._events: list[CloudEvent] = []
        self._committed = False

    @classmethod
    def joining(cls, session: AsyncSession) -> Self:
        """A unit of work inside a transaction someone else owns (an event consumer's, whose
        inbox row must commit with the effect): commit() only flushes."""
        uow = cls.__new__(cls)
        uow._sessions, uow._joined = None, session
        uow._events, uow._committed = [], False
        return uow

    async def __aenter__(self) -> Self:
        self._events = []
        self._committed = False
        if self._joined is not None:
            self.session = self._joined
            return self
        assert self._sessions is not None
        self.session = self._sessions()
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._joined is not None:
            return  # the owner of the transaction commits or rolls back
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
        if self._joined is not None:
            await self.session.flush()
        else:
            await self.session.commit()
        self._events = []
        self._committed = True
