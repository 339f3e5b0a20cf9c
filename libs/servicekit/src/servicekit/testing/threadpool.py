"""Which parts of an app FastAPI would run in its thread pool.

A synchronous route or dependency costs a hand-off to an AnyIO worker thread and back (and
GIL ping-pong) on every request: in the write-path profile that was a fifth of a service's
CPU. Our dependencies do no blocking I/O, so all of them are `async def`; this finds any
that is not.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts


def _runs_inline(call: object) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _walk(dependant: Dependant, route: str) -> Iterator[str]:
    if dependant.call is not None and not _runs_inline(dependant.call):
        name = getattr(dependant.call, "__qualname__", repr(dependant.call))
        yield f"{route}: {dependant.call.__module__}.{name}"
    for sub in dependant.dependencies:
        yield from _walk(sub, route)


def threadpool_callables(app: FastAPI) -> list[str]:
    """`"<METHODS> <path>: module.function"` for every synchronous endpoint or dependency."""
    found: set[str] = set()
    # Route contexts, not app.routes: included routers are resolved lazily (with their own
    # router-level dependencies) since FastAPI 0.16x.
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant):
            found.update(_walk(dependant, f"{','.join(sorted(route.methods or ()))} {route.path}"))
    return sorted(found)
