"""Event type patterns of webhook subscriptions and feed filters: `*` matches any run of text.

`crm.sales.*` is every sales event, `crm.*.task.*` every task event, `*` everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PATTERN = re.compile(r"^[a-z0-9._*-]{1,200}$")


class InvalidPattern(ValueError):
    pass


def check_pattern(pattern: str) -> str:
    """The pattern itself when it is well formed, else InvalidPattern."""
    if not PATTERN.fullmatch(pattern):
        raise InvalidPattern(
            f"{pattern!r} is not an event type pattern: use lower-case event types, "
            "with `*` for any text (e.g. `crm.sales.*`)"
        )
    return pattern


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def matches(pattern: str, event_type: str) -> bool:
    return _regex(pattern).fullmatch(event_type) is not None


def matches_any(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches(p, event_type) for p in patterns)


def to_like(pattern: str) -> str:
    """The pattern as a SQL LIKE expression with `\\` as escape character."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")
