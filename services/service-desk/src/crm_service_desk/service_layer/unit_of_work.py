"""The service-desk unit of work: repositories on one transaction; events out via the outbox."""

from __future__ import annotations

from typing import Self

from servicekit.uow import UnitOfWork

from crm_service_desk.adapters import event_mapping
from crm_service_desk.adapters.facts import FactsRepository
from crm_service_desk.adapters.repository import (
    AnnouncementRepository,
    AssetRepository,
    SurveyRepository,
    TicketRepository,
)


class DeskUnitOfWork(UnitOfWork):
    tickets: TicketRepository
    assets: AssetRepository
    surveys: SurveyRepository
    announcements: AnnouncementRepository
    facts: FactsRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.tickets = TicketRepository(self.session)
        self.assets = AssetRepository(self.session)
        self.surveys = SurveyRepository(self.session)
        self.announcements = AnnouncementRepository(self.session)
        self.facts = FactsRepository(self.session)
        return self

    async def commit(self) -> None:
        self._collect_events()
        for repository in (self.tickets, self.assets, self.surveys, self.announcements):
            repository.sync()
        await super().commit()

    def _collect_events(self) -> None:
        """What the aggregates recorded becomes outbox rows (cosmicpython collect_new_events)."""
        branch_of = {t.id: t.branch_id for t in self.tickets.seen}
        for ticket in self.tickets.seen:
            for event in event_mapping.ticket_events(ticket):
                self.emit(event)
        for asset in self.assets.seen:
            for event in event_mapping.asset_events(asset):
                self.emit(event)
        for survey in self.surveys.seen:
            for event in event_mapping.survey_events(survey, branch_of[survey.ticket_id]):
                self.emit(event)
        for announcement in self.announcements.seen:
            for event in event_mapping.announcement_events(announcement):
                self.emit(event)
