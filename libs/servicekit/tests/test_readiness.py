"""Readiness follows the migrations: behind is not ready, ahead (a newer release) is."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from servicekit.migrations import database_ready, head_revisions, known_revisions
from servicekit.settings import ServiceSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

TWO_STEPS = {
    "env.py": "from servicekit.migrations import run_env\nfrom sqlalchemy import MetaData\n"
    "run_env(MetaData())\n",
    "versions/a_first.py": 'revision = "a1"\ndown_revision = None\nbranch_labels = None\n'
    "depends_on = None\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n",
    "versions/b_second.py": 'revision = "b2"\ndown_revision = "a1"\nbranch_labels = None\n'
    "depends_on = None\ndef upgrade():\n    pass\ndef downgrade():\n    pass\n",
}


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    for name, body in TWO_STEPS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    return tmp_path


@pytest.mark.parametrize(
    ("applied", "ready"),
    [(None, False), ("a1", False), ("b2", True), ("c3-from-a-newer-release", True)],
)
async def test_readiness_by_applied_revision(infra, migrations, applied, ready):
    url = await infra.create_database(f"ready_{uuid.uuid4().hex[:8]}")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if applied:
                await conn.execute(text("CREATE TABLE alembic_version (version_num text)"))
                await conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": applied})
        async with engine.connect() as conn:
            problem = await database_ready(
                conn, head_revisions(migrations), known_revisions(migrations)
            )
    finally:
        await engine.dispose()
    assert (problem is None) is ready


def test_ssl_settings_build_a_tls_context_only_when_asked(tmp_path):
    plain = ServiceSettings(jwt_jwks_file=tmp_path / "jwks.json")
    assert "ssl_context" not in plain.kafka_client_options()
    with pytest.raises(FileNotFoundError):
        ServiceSettings(
            jwt_jwks_file=tmp_path / "jwks.json",
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=tmp_path / "missing-ca.crt",
        ).kafka_client_options()
