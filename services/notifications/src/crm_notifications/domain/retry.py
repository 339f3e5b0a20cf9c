"""When to try a delivery again: pure functions of the attempts made and `now`.

Webhooks follow the Standard Webhooks schedule: immediately, then 5 s, 5 min, 30 min, 2 h,
5 h, 10 h, 14 h, 20 h and 24 h after each failure (ten attempts over about three days). A
`Retry-After` answer is honoured: the next attempt is never earlier than it asks (capped at
a day). E-mail to the company's relay retries on a shorter schedule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

WEBHOOK_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAIL_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_RETRY_AFTER = timedelta(hours=24)


def next_attempt(
    schedule: tuple[timedelta, ...],
    attempts_made: int,
    now: datetime,
    retry_after: timedelta | None = None,
) -> datetime | None:
    """When to try again after `attempts_made` failed attempts; None when it is given up."""
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made]
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return now + delay


def next_webhook_attempt(
    attempts_made: int, now: datetime, retry_after: timedelta | None = None
) -> datetime | None:
    return next_attempt(WEBHOOK_SCHEDULE, attempts_made, now, retry_after)


def next_mail_attempt(attempts_made: int, now: datetime) -> datetime | None:
    return next_attempt(MAIL_SCHEDULE, attempts_made, now)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as delay-seconds or an HTTP date (RFC 9110); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def failing_too_long(failing_since: datetime | None, now: datetime, limit: timedelta) -> bool:
    """An endpoint that has failed without a single success for `limit` is disabled."""
    return failing_since is not None and now - failing_since >= limit
