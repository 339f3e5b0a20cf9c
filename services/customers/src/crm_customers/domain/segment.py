"""A marketing segment (003): a fixed list of customers, or a saved filter resolved on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from crm_customers.domain.model import ConflictError, DomainError


class SegmentKind(StrEnum):
    STATIC = "static"
    FILTER = "filter"


@dataclass
class Segment:
    id: UUID
    tenant_id: str
    name: str
    kind: SegmentKind
    filter: dict[str, Any]
    created_by: str
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deleted_at: datetime | None = None

    @classmethod
    def define(
        cls,
        *,
        tenant_id: str,
        name: str,
        kind: SegmentKind,
        filter: dict[str, Any] | None,
        created_by: str,
    ) -> Segment:
        if kind is SegmentKind.FILTER and not filter:
            raise DomainError("a filter segment needs a filter")
        if kind is SegmentKind.STATIC and filter:
            raise DomainError("a static segment lists its members; it has no filter")
        return cls(
            id=uuid4(),
            tenant_id=tenant_id,
            name=name,
            kind=kind,
            filter=filter or {},
            created_by=created_by,
        )

    def rename(self, name: str) -> None:
        self.name = name
        self.version += 1

    def change_members(self) -> None:
        if self.kind is not SegmentKind.STATIC:
            raise ConflictError("members of a filter segment follow its filter")
        self.version += 1

    def delete(self, now: datetime) -> None:
        self.deleted_at = now
        self.version += 1
