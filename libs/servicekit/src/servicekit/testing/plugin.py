"""pytest plugin (loaded with `-p servicekit.testing.plugin`): session-wide real servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from servicekit.testing.infra import TestInfra, session_infra


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def infra() -> AsyncIterator[TestInfra]:
    """One PostgreSQL server and one broker for the whole test session."""
    async with session_infra() as started:
        yield started


@pytest.fixture
def tenant() -> str:
    """A tenant of its own per test: tests share databases, never data."""
    return f"t-{uuid.uuid4().hex[:12]}"
