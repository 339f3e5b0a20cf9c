"""Ticket, asset and survey rules without a database."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from crm_contracts.service_desk import (
    AuthorKind,
    SlaClockKind,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)
from crm_service_desk.domain import events
from crm_service_desk.domain.asset import Asset
from crm_service_desk.domain.calendar import DEFAULT_HOURS
from crm_service_desk.domain.errors import ConflictError, DomainError
from crm_service_desk.domain.sla import DEFAULT_POLICY, SlaContext
from crm_service_desk.domain.survey import Survey
from crm_service_desk.domain.ticket import TRANSITIONS, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
SLA = SlaContext(DEFAULT_HOURS, DEFAULT_POLICY)
CUSTOMER = uuid.uuid4()
S = TicketStatus


def ticket(now: datetime = MONDAY_9, **kw) -> Ticket:
    values = {
        "tenant_id": "t",
        "branch_id": "north",
        "customer_id": CUSTOMER,
        "subject": "Broken",
        "description": "It does not start.",
        "priority": TicketPriority.URGENT,  # 30 min first response, 4 h resolution
        "channel": TicketChannel.PHONE,
        "opened_by": "agent",
    }
    values.update(kw)
    return Ticket.open(sla=SLA, now=now, **values)


def asset(warranty_end: date | None, customer: uuid.UUID = CUSTOMER) -> Asset:
    return Asset.register(
        tenant_id="t",
        customer_id=customer,
        branch_id="north",
        product="Forklift",
        serial="S-1",
        warranty_end=warranty_end,
        by="agent",
        now=MONDAY_9,
    )


def move(t: Ticket, status: TicketStatus, minutes: int = 0) -> None:
    t.change_status(status, by="agent", now=MONDAY_9 + timedelta(minutes=minutes), sla=SLA)


def test_a_new_ticket_starts_both_clocks_in_business_time():
    t = ticket(now=datetime(2026, 11, 27, 17, 45, tzinfo=SHANGHAI))  # Friday evening
    assert t.status is S.NEW
    assert t.first_response.due_at == datetime(2026, 11, 30, 9, 15, tzinfo=SHANGHAI)
    assert t.resolution.due_at == datetime(2026, 11, 30, 12, 45, tzinfo=SHANGHAI)
    assert t.events == [events.TicketOpened(1)]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([S.OPEN, S.PENDING, S.OPEN, S.RESOLVED, S.CLOSED], S.PENDING),
        ([S.PENDING, S.RESOLVED], S.PENDING),
        ([S.RESOLVED], S.PENDING),
        ([], S.CLOSED),
    ],
)
def test_the_status_machine_allows_its_paths_and_refuses_shortcuts(path, refused):
    t = ticket()
    for minutes, status in enumerate(path):
        move(t, status, minutes)
    assert t.status is (path[-1] if path else S.NEW)
    with pytest.raises(ConflictError, match="cannot become"):
        move(t, refused, 30)


def test_every_status_has_a_way_forward_or_back():
    assert set(TRANSITIONS) == set(S)
    assert all(TRANSITIONS[s] for s in S)


def test_each_change_is_a_new_version_and_its_own_event():
    t = ticket()
    move(t, S.OPEN)
    move(t, S.PENDING, 10)
    assert [e.version for e in t.events] == [1, 2, 3]
    assert t.version == 3
    change = t.events[-1]
    assert isinstance(change, events.StatusChanged)
    assert (change.old, change.new) == (S.OPEN, S.PENDING)
    assert change.deadlines == events.Deadlines(None, None)  # paused


def test_pending_stops_the_clocks_and_the_customers_reply_restarts_them():
    t = ticket()
    move(t, S.PENDING, 60)  # one of four hours of resolution used
    assert t.resolution.paused
    reply_at = MONDAY_9 + timedelta(days=1)  # Tuesday 09:00
    t.comment(author_id="li", author_kind=AuthorKind.CONTACT, body="Here", now=reply_at, sla=SLA)
    assert t.status is S.OPEN
    assert t.resolution.due_at == reply_at + timedelta(hours=3)
    assert isinstance(t.events[-1], events.StatusChanged)
    assert t.events[-1].reason == "customer replied"


def test_an_agents_first_public_comment_is_the_first_response_and_opens_the_ticket():
    t = ticket()
    t.comment(
        author_id="agent",
        author_kind=AuthorKind.AGENT,
        body="note",
        internal=True,
        now=MONDAY_9,
        sla=SLA,
    )
    assert (t.first_response.met_at, t.status) == (None, S.NEW)
    at = MONDAY_9 + timedelta(minutes=20)
    t.comment(author_id="agent", author_kind=AuthorKind.AGENT, body="On it", now=at, sla=SLA)
    assert t.first_response.met_at == at
    assert t.status is S.OPEN
    commented = [e for e in t.events if isinstance(e, events.Commented)]
    assert [c.first_response for c in commented] == [False, True]
    assert t.check_sla(MONDAY_9 + timedelta(hours=1)) is False  # met: no breach


def test_a_contact_cannot_write_internal_notes_or_comment_on_a_closed_ticket():
    t = ticket()
    with pytest.raises(DomainError, match="internal"):
        t.comment(
            author_id="li",
            author_kind=AuthorKind.CONTACT,
            body="x",
            internal=True,
            now=MONDAY_9,
            sla=SLA,
        )
    move(t, S.RESOLVED)
    move(t, S.CLOSED, 5)
    with pytest.raises(ConflictError, match="closed"):
        t.comment(author_id="li", author_kind=AuthorKind.CONTACT, body="x", now=MONDAY_9, sla=SLA)


def test_a_resolved_ticket_reopens_within_the_window_and_not_after():
    t = ticket()
    move(t, S.RESOLVED, 60)
    assert t.resolution.met_at is not None
    t.change_status(S.OPEN, by="li", now=MONDAY_9 + timedelta(days=7), sla=SLA, reason="again")
    assert (t.status, t.resolved_at) == (S.OPEN, None)
    assert (t.resolution.running, t.resolution.spent_s) == (True, 3600)

    late = ticket()
    move(late, S.RESOLVED)
    move(late, S.CLOSED, 1)
    with pytest.raises(ConflictError, match="no longer be reopened"):
        late.change_status(S.OPEN, by="li", now=MONDAY_9 + timedelta(days=7, seconds=1), sla=SLA)


def test_a_breach_escalates_once_per_clock():
    t = ticket()
    first_due = t.first_response.due_at
    assert t.check_sla(MONDAY_9 + timedelta(minutes=31))
    kinds = [(type(e).__name__, getattr(e, "clock", None)) for e in t.events[1:]]
    assert kinds == [
        ("SlaBreached", SlaClockKind.FIRST_RESPONSE),
        ("Escalated", SlaClockKind.FIRST_RESPONSE),
    ]
    assert t.events[1].due_at == first_due
    assert t.escalated
    assert not t.check_sla(MONDAY_9 + timedelta(minutes=40))


def test_a_priority_change_recomputes_the_deadlines_from_the_time_already_used():
    t = ticket(priority=TicketPriority.LOW)  # 8 h first response
    t.change_priority(
        TicketPriority.URGENT, by="mgr", now=MONDAY_9 + timedelta(minutes=10), sla=SLA
    )
    assert t.first_response.due_at == MONDAY_9 + timedelta(minutes=30)
    assert t.resolution.due_at == MONDAY_9 + timedelta(hours=4)
    change = t.events[-1]
    assert isinstance(change, events.PriorityChanged)
    assert change.deadlines.first_response_due == MONDAY_9 + timedelta(minutes=30)


def test_a_ticket_on_an_asset_out_of_warranty_is_flagged():
    expired = ticket(asset=asset(date(2026, 11, 22)))
    assert expired.out_of_warranty
    last_day = ticket(asset=asset(date(2026, 11, 23)))
    assert not last_day.out_of_warranty
    unknown = ticket(asset=asset(None))
    assert not unknown.out_of_warranty


def test_the_warranty_is_judged_on_the_branchs_opening_day_when_the_asset_changes():
    t = ticket(now=datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI))  # still the 23rd there
    t.update(
        {"asset_id": uuid.uuid4()},
        by="agent",
        now=MONDAY_9 + timedelta(days=3),
        sla=SLA,
        asset=asset(date(2026, 11, 23)),
    )
    assert not t.out_of_warranty


def test_an_asset_of_another_customer_is_refused():
    with pytest.raises(DomainError, match="another customer"):
        ticket(asset=asset(None, customer=uuid.uuid4()))


def test_an_asset_warranty_cannot_end_before_its_purchase():
    a = asset(date(2027, 1, 1))
    with pytest.raises(DomainError, match="before purchase_date"):
        a.update({"purchase_date": date(2027, 6, 1)}, by="agent", now=MONDAY_9)


def test_a_survey_needs_a_resolved_ticket_and_a_score_from_1_to_5():
    t = ticket(contact_id=uuid.uuid4())
    with pytest.raises(ConflictError, match="resolved"):
        Survey.answer(t, score=5, by="li", now=MONDAY_9)
    move(t, S.RESOLVED)
    with pytest.raises(DomainError, match="score"):
        Survey.answer(t, score=6, by="li", now=MONDAY_9)
    survey = Survey.answer(t, score=4, by="li", now=MONDAY_9, category="response_speed")
    assert (survey.customer_id, survey.contact_id) == (CUSTOMER, t.contact_id)
    assert survey.events == [events.SurveyAnswered(1)]
