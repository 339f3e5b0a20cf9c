"""Small helpers every router uses: answer with ETag (and Location), pick a cost view."""

from __future__ import annotations

from typing import Protocol, TypeVar

from fastapi import Response
from pydantic import BaseModel
from servicekit.auth import Principal
from servicekit.concurrency import etag

from crm_sales.domain.base import Aggregate
from crm_sales.service_layer.access import COST_READERS

S = TypeVar("S", bound=BaseModel)


class Versioned(Protocol):
    """Every record schema: the version is what ETag and If-Match carry."""

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def answer(
    response: Response, record: Aggregate, schema: type[S], *, location: str | None = None
) -> S:
    """The record after a command, with its new ETag (and Location when created)."""
    response.headers["ETag"] = etag(record.version)
    if location is not None:
        response.headers["Location"] = location
    return schema.model_validate(record.snapshot())


def tagged(response: Response, read: V) -> V:
    """A read with the ETag of its version, to send back as If-Match."""
    response.headers["ETag"] = etag(read.version)
    return read


def cost_view(principal: Principal, plain: type[S], with_cost: type[S]) -> type[S]:
    """Unit cost and margin only for managers and up (003)."""
    return with_cost if principal.has_any(COST_READERS) else plain
