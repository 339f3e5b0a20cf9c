"""pytest plugin (loaded with `-p servicekit.testing.plugin`): session-wide real servers."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

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


@pytest.fixture
def terminal(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`terminal(line)` writes past pytest's output capture: the counts and figures a test
    reports (chaos counts, access matrix size) show in every run, not only on failure."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            if reporter is not None:
                reporter.write_line(line)
            else:
                print(line)

    return write
