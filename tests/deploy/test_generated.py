"""The generated files are in sync, the service table matches the code, the renderer is sound."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from crm_contracts import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic
from pydantic_settings import BaseSettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"


def test_committed_base_dockerfiles_and_secrets_script_are_what_the_generator_writes(
    generator: ModuleType,
) -> None:
    stale = generator.stale(generator.render(), REPO)
    assert stale == [], (
        "generated files differ from deploy/k8s/generate.py; run "
        "`uv run --frozen --no-sync python deploy/k8s/generate.py`: " + ", ".join(stale)
    )


def test_the_generator_knows_every_service_of_the_workspace(generator: ModuleType) -> None:
    on_disk = {p.parent.name for p in (REPO / "services").glob("*/pyproject.toml")}
    assert {s.name for s in generator.SERVICES} == on_disk


@pytest.mark.parametrize(
    "name", ["customers", "sales", "service-desk", "notifications", "reporting"]
)
def test_each_service_reads_its_settings_under_the_prefix_the_manifests_use(
    generator: ModuleType, name: str
) -> None:
    service = next(s for s in generator.SERVICES if s.name == name)
    config = importlib.import_module(f"{service.module}.config")
    prefixes = {
        value.model_config.get("env_prefix")
        for value in vars(config).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == config.__name__
    }
    assert prefixes == {service.prefix}


@pytest.mark.parametrize(
    "name", ["customers", "sales", "service-desk", "notifications", "reporting"]
)
def test_each_service_subscribes_only_to_topics_its_kafka_user_may_read(
    generator: ModuleType, name: str
) -> None:
    service = next(s for s in generator.SERVICES if s.name == name)
    definition = importlib.import_module(f"{service.module}.app").definition()
    assert definition.name == name  # the default consumer group is crm-<name>
    assert set(definition.subscribes) <= set(service.consumes)


def test_the_generator_uses_the_contract_topics_and_partitions(generator: ModuleType) -> None:
    assert tuple(generator.TOPICS) == tuple(ALL_TOPICS)
    assert generator.PARTITIONS == DEFAULT_PARTITIONS
    assert all(generator.dlq(topic) == dlq_topic(topic) for topic in ALL_TOPICS)
    publishers = {s.topic for s in generator.SERVICES if s.topic}
    assert publishers == set(ALL_TOPICS)


def test_every_kustomization_uses_only_what_the_test_renderer_implements(kustomize: Any) -> None:
    files = sorted(K8S.rglob("kustomization.yaml"))
    assert len(files) >= 9  # base, five services, a component, two overlays
    for path in files:
        kind = (yaml.safe_load(path.read_text()) or {}).get("kind", "Kustomization")
        kustomize.load(path.parent, component=kind == "Component")


def _write(root: Path, files: dict[str, Any]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            text = yaml.safe_dump_all(content)
        else:
            text = yaml.safe_dump(content)
        path.write_text(text)


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"tier": "front"}},
    "spec": {
        "template": {
            "spec": {
                "initContainers": [{"name": "init", "image": "acme/web:1.0"}],
                "containers": [{"name": "web", "image": "acme/web:1.0", "env": []}],
            }
        }
    },
}


def test_the_renderer_applies_components_patches_namespace_and_images_in_kustomize_order(
    kustomize: Any, tmp_path: Path
) -> None:
    _write(
        tmp_path,
        {
            "base/kustomization.yaml": {"resources": ["web.yaml"]},
            "base/web.yaml": [DEPLOYMENT],
            "component/kustomization.yaml": {
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "resources": ["extra.yaml"],
                "patches": [
                    {
                        "target": {"kind": "Deployment", "labelSelector": "tier in (front,back)"},
                        "patch": "- {op: add, path: /metadata/labels/extra, value: 'yes'}",
                    }
                ],
            },
            "component/extra.yaml": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}}
            ],
            "overlay/kustomization.yaml": {
                "namespace": "shop",
                "resources": ["../base"],
                "components": ["../component"],
                "images": [{"name": "acme/web", "newName": "reg.io/acme/web", "newTag": "2.0"}],
                "patches": [
                    {"target": {"kind": "Deployment", "name": "w.*"}, "path": "env.yaml"},
                    {
                        "target": {"kind": "ConfigMap"},
                        "patch": "- {op: add, path: /data, value: {k: v}}",
                    },
                ],
            },
            "overlay/env.yaml": (
                "- op: add\n  path: /spec/template/spec/containers/0/env/-\n"
                "  value: {name: A, value: '1'}\n"
            ),
        },
    )
    objects = {o["kind"]: o for o in kustomize.build(tmp_path / "overlay")}
    web = objects["Deployment"]
    assert web["metadata"]["namespace"] == "shop"
    assert web["metadata"]["labels"] == {"tier": "front", "extra": "yes"}
    pod = web["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert pod["containers"][0]["image"] == "reg.io/acme/web:2.0"
    assert pod["initContainers"][0]["image"] == "reg.io/acme/web:2.0"
    assert objects["ConfigMap"]["data"] == {"k": "v"}
    assert objects["ConfigMap"]["metadata"]["namespace"] == "shop"


@pytest.mark.parametrize(
    ("kustomization", "error"),
    [
        ({"resources": ["web.yaml"], "commonLabels": {"a": "b"}}, "does not know"),
        (
            {
                "resources": ["web.yaml"],
                "patches": [{"target": {"kind": "Service"}, "patch": "- {op: remove, path: /a}"}],
            },
            "selects nothing",
        ),
        (
            {
                "resources": ["web.yaml"],
                "patches": [
                    {
                        "target": {"kind": "Deployment"},
                        "patch": "- {op: replace, path: /x, value: 1}",
                    }
                ],
            },
            "does not exist",
        ),
        (
            {
                "resources": ["web.yaml"],
                "patches": [{"target": {"kind": "Deployment"}, "patch": "metadata: {name: x}"}],
            },
            "only RFC 6902",
        ),
        ({"resources": ["web.yaml", "web.yaml"]}, "duplicate"),
    ],
)
def test_the_renderer_refuses_what_kustomize_would_do_differently_or_silently(
    kustomize: Any, tmp_path: Path, kustomization: dict[str, Any], error: str
) -> None:
    _write(tmp_path, {"kustomization.yaml": kustomization, "web.yaml": [DEPLOYMENT]})
    with pytest.raises(Exception, match=error):
        kustomize.build(tmp_path)
