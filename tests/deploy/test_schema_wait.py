"""The init containers' wait: pods start on the schema their code expects, or a newer one."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from types import ModuleType

import pytest


def test_the_schema_is_current_when_the_applied_revisions_are_the_code_heads(
    schema_wait: ModuleType,
) -> None:
    heads, known = frozenset({"b"}), frozenset({"a", "b"})
    assert schema_wait.schema_state(frozenset({"b"}), heads, known) == "current"


@pytest.mark.parametrize("applied", [frozenset(), frozenset({"a"})])
def test_the_schema_is_behind_before_the_migration_job_has_run(
    schema_wait: ModuleType, applied: frozenset[str]
) -> None:
    heads, known = frozenset({"b"}), frozenset({"a", "b"})
    assert schema_wait.schema_state(applied, heads, known) == "behind"


def test_a_database_migrated_by_a_newer_release_does_not_block_a_rollback(
    schema_wait: ModuleType,
) -> None:
    heads, known = frozenset({"b"}), frozenset({"a", "b"})
    assert schema_wait.schema_state(frozenset({"c"}), heads, known) == "ahead"


def test_the_code_heads_are_read_from_the_service_package_migrations(
    schema_wait: ModuleType,
) -> None:
    migrations = Path(str(importlib.resources.files("crm_customers") / "migrations"))
    heads, known = schema_wait.code_revisions(migrations)
    assert heads
    assert heads <= known


def test_the_wait_polls_until_ready_and_reports_while_it_waits(schema_wait: ModuleType) -> None:
    answers = iter([(False, "schema behind"), (False, "schema behind"), (True, "schema current")])
    now = [0.0]
    lines: list[str] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    ready = schema_wait.wait(
        lambda: next(answers), timeout_s=None, clock=lambda: now[0], sleep=sleep, log=lines.append
    )
    assert ready is True
    assert lines[0].startswith("waiting")
    assert lines[-1] == "ready: schema current"


def test_the_wait_gives_up_after_its_timeout(schema_wait: ModuleType) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    ready = schema_wait.wait(
        lambda: (False, "database not reachable"),
        timeout_s=10,
        clock=lambda: now[0],
        sleep=sleep,
        log=lambda line: None,
    )
    assert ready is False
    assert now[0] >= 10


def test_the_driver_name_is_dropped_for_asyncpg(schema_wait: ModuleType) -> None:
    url = "postgresql+asyncpg://sales:pw@crm-pg-rw:5432/sales"
    assert schema_wait.plain_url(url) == "postgresql://sales:pw@crm-pg-rw:5432/sales"


def test_a_missing_database_url_is_reported_not_waited_for(
    schema_wait: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOWHERE_DATABASE_URL", raising=False)
    code = schema_wait.main(
        ["--package", "crm_customers", "--database-url-env", "NOWHERE_DATABASE_URL"]
    )
    assert code == 2


def test_an_unreachable_database_keeps_the_pod_waiting_until_the_timeout(
    schema_wait: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on loopback refuses at once: the check answers "not reachable", the wait times out.
    monkeypatch.setenv("X_DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1:1/x")
    monkeypatch.setattr(schema_wait, "POLL_S", 0.01)
    code = schema_wait.main(
        ["--package", "crm_customers", "--database-url-env", "X_DATABASE_URL", "--timeout", "0.05"]
    )
    assert code == 1
