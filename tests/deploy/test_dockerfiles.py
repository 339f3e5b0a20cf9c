"""Each service's Dockerfile, read instruction by instruction (no Docker engine here to build):
pinned bases, a builder stage, nothing of the build or secret in the image, a numeric non-root
user, no HEALTHCHECK; and a .dockerignore that lets in exactly what the builds copy."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("customers", "sales", "service-desk", "notifications", "reporting")
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?$")
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DATABASE_URL")


def module(service: str) -> str:
    return "crm_" + service.replace("-", "_")


def stages(service: str) -> list[list[dict[str, Any]]]:
    """The instructions of each build stage, FROM first (comments dropped)."""
    parser = DockerfileParser(path=str(REPO / "services" / service / "Dockerfile"))
    out: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "COMMENT":
            continue
        if instruction["instruction"] == "FROM":
            out.append([])
        assert out, "an instruction before the first FROM"
        out[-1].append(instruction)
    return out


def of(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def from_image(stage: list[dict[str, Any]]) -> tuple[str, str | None]:
    words = stage[0]["value"].split()
    alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
    return words[0], alias


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_image_is_built_in_stages_from_base_images_pinned_to_exact_versions(
    service: str,
) -> None:
    built = stages(service)
    assert len(built) >= 2, "a builder stage and a runtime stage"
    aliases: set[str] = set()
    for stage in built:
        image, alias = from_image(stage)
        assert image in aliases or PINNED.search(image), f"not pinned: {image}"
        assert ":latest" not in image
        if alias:
            aliases.add(alias)
    runtime, _ = from_image(built[-1])
    assert PINNED_PYTHON.match(runtime), runtime
    builder = next(s for s in built if from_image(s)[1] == "builder")
    assert from_image(builder)[0] == runtime, "the venv's interpreter path must exist at run time"


def test_the_image_runs_as_a_numeric_non_root_user(service: str) -> None:
    runtime = stages(service)[-1]
    users = of(runtime, "USER")
    assert users, "no USER in the final stage"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
    assert uid.isdigit()
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    kinds = [i["instruction"] for i in runtime]
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k in {"RUN", "COPY"})


def test_no_secret_is_baked_into_the_image(service: str) -> None:
    for stage in stages(service):
        for instruction in stage:
            kind, value = instruction["instruction"], instruction["value"]
            if kind in {"ENV", "ARG"}:
                for word in shlex.split(value):
                    name = word.split("=", 1)[0]
                    assert not SECRET_NAME.search(name.upper()), f"{kind} {name}"
            if kind in {"COPY", "ADD"}:
                sources = [w for w in value.split()[:-1] if not w.startswith("--")]
                for source in sources:
                    assert not re.search(r"\.env|\.pem|\.key|\.crm|id_rsa|secret", source), source
            if kind == "ADD":
                assert "://" not in value, "ADD of a URL: unpinned, unverified content"
            if kind == "RUN":
                assert not re.search(r"(password|token|secret)\s*=", value, re.IGNORECASE)


def test_the_runtime_stage_carries_no_build_tools(service: str) -> None:
    runtime = stages(service)[-1]
    for value in of(runtime, "RUN"):
        assert not re.search(r"apt-get install|apk add|pip install|\buv\b", value), value
        assert "pip uninstall" in value  # the base image's pip, setuptools and wheel go
    copies = of(runtime, "COPY")
    assert copies == ["--from=builder /opt/venv /opt/venv"], "only the built virtualenv"
    builder_stages = [s for s in stages(service) if from_image(s)[1] == "builder"]
    assert any("/uv" in c for c in of(builder_stages[0], "COPY")), "uv lives in the builder"


def test_the_image_has_no_healthcheck_because_kubernetes_probes(service: str) -> None:
    assert all(not of(stage, "HEALTHCHECK") for stage in stages(service))


def test_the_image_installs_its_service_from_the_lock_without_dev_or_embedded_extras(
    service: str,
) -> None:
    syncs = [v for stage in stages(service) for v in of(stage, "RUN") if "uv sync" in v]
    assert len(syncs) == 2, "dependencies first (cached layer), then the workspace packages"
    for sync in syncs:
        assert "--frozen" in sync or "--locked" in sync
        assert "--no-dev" in sync
        assert f"--package crm-{service}" in sync
        for wider in ("--all-packages", "--extra", "--all-extras", "--group", "--all-groups"):
            assert wider not in sync
    assert "--no-install-workspace" in syncs[0]
    assert "--no-editable" in syncs[1], "the venv must not point back into /src"


def test_the_image_runs_the_api_by_default_and_python_writes_no_bytecode(service: str) -> None:
    parser = DockerfileParser(path=str(REPO / "services" / service / "Dockerfile"))
    runtime = stages(service)[-1]
    assert json.loads(of(runtime, "ENTRYPOINT")[-1]) == ["python", "-m", module(service)]
    assert json.loads(of(runtime, "CMD")[-1]) == ["api", "--host", "0.0.0.0", "--port", "8080"]
    assert parser.envs["PYTHONDONTWRITEBYTECODE"] == "1"
    assert parser.envs["PATH"].startswith("/opt/venv/bin:")


# --- .dockerignore ------------------------------------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        rules.append((negate, _glob_regex(pattern)))
    return rules


def in_context(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    included = True
    for negate, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            included = negate
    return included


def test_the_build_context_holds_what_the_dockerfiles_copy(service: str) -> None:
    rules = dockerignore()
    for stage in stages(service):
        for value in of(stage, "COPY"):
            if value.startswith("--from"):
                continue
            for source in value.split()[:-1]:
                path = REPO / source
                assert path.exists(), source
                files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
                for file in files:
                    relative = file.relative_to(REPO).as_posix()
                    if "/tests/" in relative or "__pycache__" in relative:
                        continue
                    assert in_context(relative, rules), relative
    package = REPO / "services" / service / "src" / module(service)
    for needed in (package / "__main__.py", package / "migrations" / "env.py"):
        assert in_context(needed.relative_to(REPO).as_posix(), rules)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/pyvenv.cfg",
        ".git/HEAD",
        ".crm/keys/signing-key.pem",
        ".crm/postgres/PG_VERSION",
        "services/sales/tests/unit/test_quotes.py",
        "services/sales/src/crm_sales/__pycache__/app.cpython-311.pyc",
        "libs/servicekit/.pytest_cache/v/cache/nodeids",
        "deploy/k8s/README.md",
        "deploy/local/src/crm_local/cli.py",
        "tests/deploy/conftest.py",
        "services/sales/.env",
        "services/sales/Dockerfile",
        "bench/run.py",
    ],
)
def test_the_build_context_leaves_out_local_state_tests_and_deploy_files(path: str) -> None:
    assert not in_context(path, dockerignore())
