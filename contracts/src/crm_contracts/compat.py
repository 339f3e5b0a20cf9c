"""Is a new JSON Schema still able to read everything the released one described?

A consumer built on the released contract must keep working: removing or renaming a
field, narrowing a type, dropping an enum value or demanding a new field breaks it; adding an
optional field or accepting more does not. Only local `$ref`s are followed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Schema = dict[str, Any]

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")


def breaking_changes(released: Schema, current: Schema) -> list[str]:
    """Each way `current` rejects or drops what `released` allowed, as `path: problem`."""
    comparison = _Comparison(released, current)
    comparison.compare(released, current, "")
    return list(dict.fromkeys(comparison.problems))  # a union can report a spot twice


def snapshot_problems(type: str, directory: Path) -> list[str]:
    """What is wrong with `type`'s current schema against its released snapshot."""
    from crm_contracts.schemas import event_json_schema

    path = directory / f"{type}.json"
    if not path.is_file():
        return [f"{type}: no released snapshot {path.name}; run `python -m crm_contracts snapshot`"]
    released = json.loads(path.read_text(encoding="utf-8"))
    return [f"{type}: {p}" for p in breaking_changes(released, event_json_schema(type))]


def check_snapshots(directory: Path) -> list[str]:
    """Problems of every registered type, plus released types that are no longer registered."""
    from crm_contracts.registry import all_specs

    types = [spec.type for spec in all_specs()]
    problems = [p for t in types for p in snapshot_problems(t, directory)]
    for path in sorted(directory.glob("*.json")):
        if path.stem not in types:
            problems.append(f"{path.stem}: released but no longer registered (removed type)")
    return problems


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.roots = (old_root, new_root)
        self.problems: list[str] = []
        self._stack: set[tuple[str, str]] = set()

    def compare(self, old: Any, new: Any, path: str) -> None:
        if old is False:
            return  # nothing was allowed, so nothing can be lost
        if new is False:
            self._report(path, "no longer allowed")
            return
        old_refs, old = _resolve(old, self.roots[0])
        new_refs, new = _resolve(new, self.roots[1])
        key = (old_refs, new_refs)
        if (old_refs or new_refs) and key in self._stack:
            return  # a recursive model: this pair is already being compared further up
        self._stack.add(key)
        try:
            self._compare_resolved(old, new, path)
        finally:
            self._stack.discard(key)

    def _compare_resolved(self, old: Schema, new: Schema, path: str) -> None:
        old_branches, new_branches = self._branches(old, 0), self._branches(new, 1)
        if len(old_branches) == 1 and len(new_branches) == 1:
            self._compare_node(old_branches[0], new_branches[0], path)
            return
        self._compare_types(self._types(old, 0), self._types(new, 1), path)
        for branch in old_branches:
            kinds = self._types(branch, 0)
            if kinds is None:
                continue  # an unrestricted branch: the union-level check covered it
            match = next(
                (n for n in new_branches if _overlap(kinds, self._types(n, 1))),
                None,
            )
            if match is not None:
                self.compare(branch, match, path)

    def _compare_node(self, old: Schema, new: Schema, path: str) -> None:
        self._compare_types(self._types(old, 0), self._types(new, 1), path)
        self._compare_values(old, new, path)
        self._compare_constraints(old, new, path)
        if "properties" in old or "properties" in new or "required" in new:
            self._compare_object(old, new, path)
        if isinstance(new.get("additionalProperties"), (dict, bool)):
            self.compare(
                old.get("additionalProperties", True),
                new["additionalProperties"],
                f"{path}.additionalProperties" if path else "additionalProperties",
            )
        if "items" in new:
            self.compare(old.get("items", {}), new["items"], f"{path}.items" if path else "items")

    def _compare_types(self, old: set[str] | None, new: set[str] | None, path: str) -> None:
        if new is None:
            return
        if old is None:
            self._report(path, f"type narrowed to {_fmt(new)}")
            return
        lost = {t for t in old if t not in new and not (t == "integer" and "number" in new)}
        if lost == {"null"}:
            self._report(path, "no longer accepts null")
        elif lost:
            self._report(path, f"type changed from {_fmt(old)} to {_fmt(new)}")

    def _compare_values(self, old: Schema, new: Schema, path: str) -> None:
        new_values = _values(new)
        if new_values is None:
            return
        old_values = _values(old)
        if old_values is None:
            self._report(path, f"now restricted to {_fmt_values(new_values)}")
        elif "const" in old and "const" in new and old["const"] != new["const"]:
            self._report(path, f"const changed from {old['const']!r} to {new['const']!r}")
        else:
            for value in old_values:
                if value not in new_values:
                    self._report(path, f"enum value {value!r} removed")

    def _compare_constraints(self, old: Schema, new: Schema, path: str) -> None:
        for key in _UPPER:
            if key in new and (key not in old or new[key] < old[key]):
                self._report(path, f"{key} tightened from {old.get(key)} to {new[key]}")
        for key in _LOWER:
            if key in new and (key not in old or new[key] > old[key]):
                self._report(path, f"{key} tightened from {old.get(key)} to {new[key]}")
        for key in ("pattern", "format"):
            if key in new and new[key] != old.get(key):
                self._report(path, f"{key} changed from {old.get(key)!r} to {new[key]!r}")

    def _compare_object(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        for name, schema in old_props.items():
            child = f"{path}.properties.{name}" if path else name
            if name in new_props:
                self.compare(schema, new_props[name], child)
            else:
                self._report(child, "removed")
        old_required = set(old.get("required", ()))
        for name in new.get("required", ()):
            if name not in old_required:
                child = f"{path}.properties.{name}" if path else name
                self._report(child, "became required" if name in old_props else "new required")

    def _branches(self, schema: Schema, side: int) -> list[Schema]:
        union = schema.get("anyOf") or schema.get("oneOf")
        if not union:
            return [schema]
        root = self.roots[side]
        return [b for raw in union for b in self._branches(_resolve(raw, root)[1], side)]

    def _types(self, schema: Schema, side: int) -> set[str] | None:
        if "type" in schema:
            kind = schema["type"]
            return {kind} if isinstance(kind, str) else set(kind)
        branches = self._branches(schema, side)
        if len(branches) > 1:
            union: set[str] = set()
            for branch in branches:
                kinds = self._types(branch, side)
                if kinds is None:
                    return None
                union |= kinds
            return union
        values = _values(schema)
        return None if values is None else {_json_type(v) for v in values}

    def _report(self, path: str, problem: str) -> None:
        self.problems.append(f"{path or '(root)'}: {problem}")


def _resolve(schema: Any, root: Schema) -> tuple[str, Schema]:
    """Follow local `$ref`s (keeping sibling keywords); returns the refs taken and the target."""
    if schema is True:
        return "", {}
    refs = []
    while isinstance(schema, dict) and ("$ref" in schema or _single_all_of(schema)):
        if "$ref" not in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            schema = {**schema["allOf"][0], **rest}
            continue
        ref = schema["$ref"]
        if ref in refs:
            raise ValueError(f"$ref cycle without structure at {ref}")
        refs.append(ref)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**_pointer(root, ref), **rest}
    if not isinstance(schema, dict):
        raise ValueError(f"not a JSON Schema object: {schema!r}")
    return " ".join(refs), schema


def _single_all_of(schema: Schema) -> bool:
    # Older pydantic wraps a described `$ref` as `allOf: [{"$ref": ...}]`.
    all_of = schema.get("allOf")
    return isinstance(all_of, list) and len(all_of) == 1


def _pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node: Any = root
    for part in ref[1:].split("/")[1:]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref!r} does not point at a schema object")
    return node


def _values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return _JSON_TYPES.get(type(value), "string")


def _overlap(old: set[str] | None, new: set[str] | None) -> bool:
    if old is None or new is None:
        return True
    return bool(old & new) or ("integer" in old and "number" in new)


def _fmt(kinds: set[str]) -> str:
    return "|".join(sorted(kinds))


def _fmt_values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)
