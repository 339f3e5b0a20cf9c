"""Pipeline stages: their order (the funnel, the forecast quality bar) and the defaults.

A tenant that never changed its sales configuration has sales' default pipeline, which no
event announces; it is repeated here (see the report: it belongs in the contracts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

DEFAULT_STAGES: tuple[dict[str, Any], ...] = (
    {"key": "qualification", "name": "Qualification", "probability": 10, "outcome": "open"},
    {"key": "needs_analysis", "name": "Needs analysis", "probability": 25, "outcome": "open"},
    {"key": "proposal", "name": "Proposal", "probability": 50, "outcome": "open"},
    {"key": "negotiation", "name": "Negotiation", "probability": 75, "outcome": "open"},
    {"key": "won", "name": "Won", "probability": 100, "outcome": "won"},
    {"key": "lost", "name": "Lost", "probability": 0, "outcome": "lost"},
)


def stages_or_default(stages: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [dict(s) for s in (stages or DEFAULT_STAGES)]


def open_stages(stages: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(s["key"]) for s in stages if s["outcome"] == "open"]


def eligible_stages(stages: Sequence[Mapping[str, Any]], min_stage: str | None) -> list[str]:
    """Open stages at or after `min_stage` in pipeline order (all open ones when None).

    A `min_stage` that is not an open stage of the pipeline (renamed since) keeps none.
    """
    keys = open_stages(stages)
    if min_stage is None:
        return keys
    if min_stage not in keys:
        return []
    return keys[keys.index(min_stage) :]


def conversion_chain(stages: Sequence[Mapping[str, Any]]) -> list[str]:
    """Open stages in order, then the won stage: the steps a deal converts through."""
    won = [str(s["key"]) for s in stages if s["outcome"] == "won"]
    return [*open_stages(stages), *won]
