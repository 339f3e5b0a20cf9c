"""Business-time arithmetic and SLA clocks, without a database (Asia/Shanghai, Mon-Fri 9-18)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from crm_contracts.service_desk import TicketPriority
from crm_service_desk.domain.calendar import DEFAULT_HOURS, BusinessHours, Window
from crm_service_desk.domain.errors import DomainError
from crm_service_desk.domain.sla import (
    DEFAULT_POLICY,
    Alert,
    SlaClock,
    SlaContext,
    SlaPolicy,
    Targets,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(day: int, hour: int, minute: int = 0, *, month: int = 11) -> datetime:
    """A wall-clock moment in Shanghai; 23 November 2026 is a Monday, the 27th a Friday."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        pytest.param(at(23, 10), 2 * HOUR, at(23, 12), id="within one day"),
        pytest.param(at(23, 17), 1 * HOUR, at(23, 18), id="ends exactly at closing"),
        pytest.param(at(23, 17), 2 * HOUR, at(24, 10), id="rolls over the night"),
        pytest.param(at(23, 7), 30 * 60, at(23, 9, 30), id="starts before opening"),
        pytest.param(at(23, 19), 30 * 60, at(24, 9, 30), id="starts after closing"),
        pytest.param(at(27, 17), 4 * HOUR, at(30, 12), id="friday afternoon rolls over weekend"),
        pytest.param(at(28, 11), 1 * HOUR, at(30, 10), id="starts on a saturday"),
        pytest.param(at(23, 9), 5 * 9 * HOUR, at(27, 18), id="one full working week"),
        pytest.param(at(23, 9), 5 * 9 * HOUR + 1, at(30, 9, 0) + timedelta(seconds=1), id="+1s"),
        pytest.param(at(28, 11), 0, at(30, 9), id="nothing left: the next open moment"),
    ],
)
def test_adding_business_time_skips_nights_and_weekends(start, seconds, due):
    assert DEFAULT_HOURS.add(start, seconds) == due


def test_business_time_between_two_moments_counts_only_opening_hours():
    assert DEFAULT_HOURS.between(at(27, 17), at(30, 10)) == 2 * HOUR
    assert DEFAULT_HOURS.between(at(28, 8), at(29, 20)) == 0  # a weekend
    assert DEFAULT_HOURS.between(at(24, 10), at(23, 10)) == 0  # backwards


@pytest.mark.parametrize("start", [at(23, 8), at(23, 12, 17), at(27, 17, 59), at(29, 23)])
@pytest.mark.parametrize("seconds", [1, 45 * 60, 9 * HOUR, 31 * HOUR + 7])
def test_between_undoes_add(start, seconds):
    assert DEFAULT_HOURS.between(start, DEFAULT_HOURS.add(start, seconds)) == seconds


def test_round_the_clock_hours_are_plain_time():
    always = BusinessHours("Asia/Shanghai", (Window.parse("00:00", "24:00"),) * 7)
    start = at(28, 23, 30)
    assert always.add(start, 10 * HOUR) == start + timedelta(hours=10)
    assert always.between(start, start + timedelta(days=3)) == 72 * HOUR


def test_a_day_of_daylight_saving_change_is_as_long_as_it_really_is():
    berlin = ZoneInfo("Europe/Berlin")
    always = BusinessHours("Europe/Berlin", (Window.parse("00:00", "24:00"),) * 7)
    spring_sunday = datetime(2026, 3, 29, tzinfo=berlin)
    assert always.between(spring_sunday, datetime(2026, 3, 30, tzinfo=berlin)) == 23 * HOUR


def test_each_branch_counts_in_its_own_timezone():
    berlin = BusinessHours("Europe/Berlin", DEFAULT_HOURS.week)
    # 17:00 in Shanghai on a Monday is 10:00 in Berlin: a whole day of work ahead there.
    assert berlin.add(at(23, 17), 2 * HOUR) == at(23, 19)
    assert berlin.local_date(at(24, 2)).day == 23


@pytest.mark.parametrize(
    ("timezone", "week", "message"),
    [
        ("Asia/Shanghai", (Window.parse("09:00", "18:00"),) * 6, "seven days"),
        ("Asia/Shanghai", (None,) * 7, "at least one open day"),
        ("Mars/Olympus", DEFAULT_HOURS.week, "unknown timezone"),
    ],
)
def test_impossible_business_hours_are_refused(timezone, week, message):
    with pytest.raises(DomainError, match=message):
        BusinessHours(timezone, week)


def test_a_day_that_closes_before_it_opens_is_refused():
    with pytest.raises(DomainError, match="open before they close"):
        Window.parse("18:00", "09:00")


# -- SLA clocks -------------------------------------------------------------------------------

SLA = SlaContext(DEFAULT_HOURS, DEFAULT_POLICY)  # warning 30 business minutes


def test_a_clock_started_late_on_friday_is_due_on_monday_and_warns_in_business_time():
    clock = SlaClock.start(4 * HOUR, at(27, 17), SLA)
    assert clock.due_at == at(30, 12)
    assert clock.warn_at == at(30, 11, 30)


def test_a_pause_spanning_the_weekend_stops_the_clock_until_the_customer_replies():
    clock = SlaClock.start(4 * HOUR, at(27, 16), SLA)  # due Monday 11:00
    paused = clock.pause(at(27, 17), DEFAULT_HOURS)  # one hour used
    assert (paused.paused, paused.due_at, paused.spent_s) == (True, None, HOUR)
    resumed = paused.resume(at(30, 10), SLA)  # three hours left from Monday 10:00
    assert resumed.due_at == at(30, 13)
    assert resumed.left_s(at(30, 12), DEFAULT_HOURS) == HOUR


def test_a_pause_outside_business_hours_costs_nothing():
    clock = SlaClock.start(2 * HOUR, at(23, 17), SLA)  # due Tuesday 10:00
    resumed = clock.pause(at(23, 20), DEFAULT_HOURS).resume(at(24, 8), SLA)
    assert resumed.due_at == at(24, 10)


def test_a_met_clock_stops_and_a_reopened_one_runs_with_the_time_it_had_used():
    clock = SlaClock.start(4 * HOUR, at(23, 9), SLA)
    met = clock.meet(at(23, 12), DEFAULT_HOURS)
    assert (met.met_at, met.due_at, met.paused) == (at(23, 12), None, False)
    assert met.check(at(30, 9)) == (met, None)
    reopened = met.reopen(at(24, 9), SLA)
    assert reopened.met_at is None
    assert reopened.due_at == at(24, 10)


def test_a_new_budget_keeps_the_time_already_used():
    clock = SlaClock.start(8 * HOUR, at(23, 9), SLA)
    paused = clock.pause(at(23, 11), DEFAULT_HOURS)
    tighter = paused.rebudget(4 * HOUR, SLA)
    assert tighter.due_at is None  # still paused
    assert tighter.resume(at(23, 14), SLA).due_at == at(23, 16)
    running = SlaClock.start(8 * HOUR, at(23, 9), SLA).rebudget(HOUR, SLA)
    assert running.due_at == at(23, 10)


def test_a_clock_warns_once_then_breaches_once():
    clock = SlaClock.start(2 * HOUR, at(23, 9), SLA)
    assert clock.check(at(23, 10)) == (clock, None)
    warned, alert = clock.check(at(23, 10, 30))
    assert alert is Alert.WARNING
    assert warned.check(at(23, 10, 45)) == (warned, None)
    breached, alert = warned.check(at(23, 11))
    assert alert is Alert.BREACH
    assert breached.check(at(23, 17)) == (breached, None)


def test_a_late_check_reports_the_breach_without_a_stale_warning():
    clock = SlaClock.start(2 * HOUR, at(23, 9), SLA)
    breached, alert = clock.check(at(24, 9))
    assert alert is Alert.BREACH
    assert breached.warned


def test_a_policy_needs_targets_for_every_priority():
    with pytest.raises(DomainError, match="missing"):
        SlaPolicy(targets={TicketPriority.URGENT: Targets(10, 60)})
    with pytest.raises(DomainError, match="business minutes"):
        Targets(0, 60)
