"""Entity state folded from events so that duplicates and reordering converge.

An event becomes one or more `Patch`es: what it says about one entity as of the entity's
version (the envelope `sequence`). Fields travel in groups (`set`): a group is written only
by a patch newer than the one that last wrote it, so an older event arriving late never
overwrites a newer fact, while it still fills in the groups nothing newer has touched.
A few facts merge instead of replacing: map items with their own versions (`items`, e.g.
the stages an opportunity entered, the surveys of a ticket), the earliest of a moment
(`least`, e.g. the first response) and flags that once true stay true (`greatest`).

Because every rule is a per-group maximum, a union or a min/max, applying the same patches
in any order, any number of times, gives the same state. Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

State = dict[str, Any]
Key = tuple[Any, ...]
# (aggregate name, key values starting with the tenant, measures in declared order)
Contribution = tuple[str, Key, tuple[Any, ...]]


EMPTY: Mapping[str, Any] = MappingProxyType({})


class Patch:
    """What one event says about one entity (`kind`, `key`) as of version `seq`.

    `seq` 0 is weaker than any real version: placeholders made from another entity's
    events use it, so the entity's own events always win. Treat a patch as immutable.
    (A plain class with slots: millions are made during a rebuild.)
    """

    __slots__ = ("greatest", "items", "key", "kind", "least", "seq", "set")

    def __init__(
        self,
        kind: str,
        key: Key,
        seq: int,
        set: Mapping[str, Mapping[str, Any]] = EMPTY,
        items: Mapping[str, Mapping[str, Any]] = EMPTY,
        least: Mapping[str, Any] = EMPTY,
        greatest: Mapping[str, Any] = EMPTY,
    ) -> None:
        self.kind, self.key, self.seq = kind, key, seq
        self.set, self.items, self.least, self.greatest = set, items, least, greatest

    def __repr__(self) -> str:
        return f"Patch({self.kind}, {self.key}, {self.seq}, set={dict(self.set)})"


@dataclass(frozen=True)
class Append:
    """A row added to an append-only table (a history); a second copy is ignored."""

    table: str
    row: Mapping[str, Any]


@dataclass(frozen=True)
class Aggregate:
    """A pre-aggregated table: sums of `measures` per `keys` (the tenant first).

    The first measure counts the entities in the bucket; a bucket whose count is 0 holds
    nothing (its other measures are 0 too) and reports skip it.
    """

    name: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]


@dataclass(frozen=True)
class EntityKind:
    """One kind of entity: its key and fields, and what it adds to the aggregates."""

    name: str
    key: tuple[str, ...]
    fields: tuple[str, ...]
    contribute: Callable[[State], Iterable[Contribution]]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def blank(self, key: Key) -> State:
        state: State = dict.fromkeys(self.fields)
        for name, value in self.defaults.items():
            state[name] = _copy(value)
        state.update(zip(self.key, key, strict=True))
        state["versions"] = {}
        return state

    def contributions(self, state: State | None) -> Iterator[Contribution]:
        if state is None or not state.get("known"):
            return iter(())
        return iter(self.contribute(state))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def fold(state: State, patch: Patch) -> bool:
    """Apply `patch` to `state` in place; True if anything changed (a group or item taking
    the patch's version counts as a change: the versions are part of the state)."""
    versions: dict[str, int] = state["versions"]
    seq = patch.seq
    changed = False
    for group, values in patch.set.items():
        if seq > versions.get(group, -1):
            versions[group] = seq
            state.update(values)
            changed = True
    for column, entries in patch.items.items():
        merged = None
        for item, value in entries.items():
            version_key = f"{column}:{item}"
            if seq > versions.get(version_key, -1):
                versions[version_key] = seq
                if merged is None:
                    merged = dict(state.get(column) or {})
                merged[item] = value
        if merged is not None:
            state[column] = merged
            changed = True
    for name, value in patch.least.items():
        if value is not None:
            current = state.get(name)
            if current is None or value < current:
                state[name] = value
                changed = True
    for name, value in patch.greatest.items():
        if value is not None:
            current = state.get(name)
            if current is None or value > current:
                state[name] = value
                changed = True
    return changed


class Deltas:
    """Per aggregate bucket, how its measures move: contributions added minus removed."""

    def __init__(self) -> None:
        self.by_aggregate: dict[str, dict[Key, list[Any]]] = {}

    def add(self, contributions: Iterable[Contribution], sign: int) -> None:
        for name, key, measures in contributions:
            buckets = self.by_aggregate.setdefault(name, {})
            sums = buckets.get(key)
            if sums is None:
                buckets[key] = [m * sign for m in measures]
            else:
                for i, m in enumerate(measures):
                    sums[i] += m * sign

    def move(self, kind: EntityKind, before: State | None, after: State | None) -> None:
        self.add(kind.contributions(before), -1)
        self.add(kind.contributions(after), 1)

    def nonzero(self) -> dict[str, dict[Key, list[Any]]]:
        """Buckets that really move (a change within one bucket cancels out)."""
        return {
            name: kept
            for name, buckets in self.by_aggregate.items()
            if (kept := {k: v for k, v in buckets.items() if any(v)})
        }
