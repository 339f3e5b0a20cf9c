"""The install steps: the secrets script works, the README covers what the issue asks."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from types import ModuleType

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
README = K8S / "README.md"

FAKE_KUBECTL = """#!/bin/sh
# Records each call; `get secret crm-sales-db` finds it, every other get finds nothing.
printf '%s\\n' "$*" >> "$KUBECTL_LOG"
case "$*" in
  *"get secret crm-sales-db"*) exit 0 ;;
  *" get "*) exit 1 ;;
esac
exit 0
"""


def test_the_secrets_script_creates_one_consistent_secret_per_service_and_keeps_existing_ones(
    tmp_path: Path, generator: ModuleType
) -> None:
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {
        **os.environ,
        "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
        "KUBECTL_LOG": str(log),
        "NAMESPACE": "crm-test",
    }
    result = subprocess.run(
        ["sh", str(K8S / "scripts" / "create-secrets.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "kept crm-sales-db" in result.stdout
    creates = [shlex.split(line) for line in log.read_text().splitlines() if " create " in line]
    created = {}
    for words in creates:
        assert words[:5] == ["-n", "crm-test", "create", "secret", "generic"]
        assert "--type=kubernetes.io/basic-auth" in words
        literals = dict(
            w.removeprefix("--from-literal=").split("=", 1)
            for w in words[6:]
            if w.startswith("--from")
        )
        created[words[5]] = literals
    expected = {s.db_secret: s for s in generator.SERVICES if s.name != "sales"}
    assert set(created) == set(expected)
    passwords = set()
    for name, literals in created.items():
        role = expected[name].database
        assert literals["username"] == role
        assert re.fullmatch(r"[0-9a-f]{48}", literals["password"])
        assert literals["database-url"] == (
            f"postgresql+asyncpg://{role}:{literals['password']}@crm-pg-rw:5432/{role}"
        )
        passwords.add(literals["password"])
    assert len(passwords) == len(created), "every service gets its own password"


def test_the_readme_walks_through_install_release_scaling_and_integrator_access() -> None:
    headings = re.findall(r"^## (.+)$", README.read_text(), re.MULTILINE)
    for needed in ("Install", "Release", "Scaling", "Integrators", "Images", "Known gaps"):
        assert any(h.startswith(needed) for h in headings), needed


def test_every_file_the_readme_points_to_exists() -> None:
    text = README.read_text()
    paths = set(re.findall(r"`((?:overlays|components|scripts|examples|base)/[\w./-]+)`", text))
    paths |= set(re.findall(r"deploy/k8s/((?:overlays|scripts|examples)/[\w./-]+)", text))
    assert paths
    for path in paths:
        assert (K8S / path).exists(), path
