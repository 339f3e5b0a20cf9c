"""A satisfaction survey answer (CSAT 1-5 and a comment), one per resolved ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from crm_service_desk.domain import events
from crm_service_desk.domain.errors import ConflictError, DomainError
from crm_service_desk.domain.ticket import FINISHED, Ticket

SCORES = range(1, 6)


@dataclass
class Survey:
    id: UUID
    tenant_id: str
    ticket_id: UUID
    customer_id: UUID
    score: int
    answered_by: str
    answered_at: datetime
    contact_id: UUID | None = None
    comment: str | None = None
    category: str | None = None
    version: int = 1
    events: list[events.SurveyAnswered] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def answer(
        cls,
        ticket: Ticket,
        *,
        score: int,
        by: str,
        now: datetime,
        comment: str | None = None,
        category: str | None = None,
    ) -> Survey:
        """The customer rates a resolved (or closed) ticket; `category` names what was rated."""
        if ticket.status not in FINISHED:
            raise ConflictError("a ticket can be rated once it is resolved")
        if score not in SCORES:
            raise DomainError("score: CSAT is 1 (very unsatisfied) to 5 (very satisfied)")
        survey = cls(
            id=uuid4(),
            tenant_id=ticket.tenant_id,
            ticket_id=ticket.id,
            customer_id=ticket.customer_id,
            contact_id=ticket.contact_id,
            score=score,
            comment=comment,
            category=category,
            answered_by=by,
            answered_at=now,
        )
        survey.events.append(events.SurveyAnswered(survey.version))
        return survey
