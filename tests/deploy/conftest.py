"""Fixtures of the deployment tests: a kustomize renderer, the rendered overlays, loaders.

No kustomize binary is available here (no Docker, no downloads), so `Kustomize` renders the
subset of kustomize the manifests use: `resources` (files and directories), `components`,
`namespace`, `images` and `patches` with a target and RFC 6902 operations, applied in
kustomize's order (resources, components, then patches, namespace, images). A kustomization
using anything else is refused, so the renderer cannot silently diverge from `kustomize build`;
it is stricter than kustomize where that catches mistakes: a patch that selects nothing, a
`replace`/`remove` of a missing path and a duplicate object are errors.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSIONS = ("1.31", "1.37")  # the oldest supported and the newest the schemas know

SUPPORTED_FIELDS = frozenset(
    {"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}
)
TARGET_FIELDS = frozenset(
    {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"}
)
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "ClusterTriggerAuthentication",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    }
)
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


class KustomizeError(Exception):
    pass


# --- RFC 6901 / RFC 6902 -----------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise KustomizeError(f"JSON pointer must start with '/': {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, *, for_add: bool) -> int:
    if for_add and token == "-":
        return len(container)
    if not re.fullmatch(r"0|[1-9][0-9]*", token):
        raise KustomizeError(f"bad array index {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not for_add):
        raise KustomizeError(f"array index {index} out of range")
    return index


def _parent(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise KustomizeError(f"path segment {token!r} missing")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, for_add=False)]
        else:
            raise KustomizeError(f"cannot descend into {type(node).__name__} at {token!r}")
    return node


def apply_json6902(document: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    """Apply add/remove/replace/test in place (move and copy are not used here)."""
    for operation in operations:
        op, path = operation.get("op"), operation.get("path")
        if op not in {"add", "remove", "replace", "test"} or not isinstance(path, str):
            raise KustomizeError(f"unsupported JSON patch operation {operation!r}")
        tokens = _pointer(path)
        if not tokens:
            raise KustomizeError("patching the whole document is not supported")
        parent = _parent(document, tokens[:-1])
        last = tokens[-1]
        value = copy.deepcopy(operation.get("value"))
        if isinstance(parent, dict):
            if op == "add":
                parent[last] = value
            elif last not in parent:
                raise KustomizeError(f"{op}: {path} does not exist")
            elif op == "remove":
                del parent[last]
            elif op == "replace":
                parent[last] = value
            elif parent[last] != value:
                raise KustomizeError(f"test failed at {path}")
        elif isinstance(parent, list):
            index = _index(parent, last, for_add=op == "add")
            if op == "add":
                parent.insert(index, value)
            elif op == "remove":
                del parent[index]
            elif op == "replace":
                parent[index] = value
            elif parent[index] != value:
                raise KustomizeError(f"test failed at {path}")
        else:
            raise KustomizeError(f"{path}: parent is neither an object nor an array")


# --- selectors ---------------------------------------------------------------------------------


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def label_selector_matches(selector: str, object_labels: dict[str, str]) -> bool:
    """Kubernetes label-selector syntax: k=v, k==v, k!=v, k in (..), k notin (..), k, !k."""
    for requirement in _split_selector(selector):
        if match := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", requirement):
            key, operator, values = match[1], match[2], {v.strip() for v in match[3].split(",")}
            present = key in object_labels and object_labels[key] in values
            if present != (operator == "in"):
                return False
        elif match := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)", requirement):
            key, operator, value = match[1], match[2], match[3]
            if (object_labels.get(key) == value) != (operator != "!="):
                return False
        elif match := re.fullmatch(r"(!?)([\w./-]+)", requirement):
            if (match[2] in object_labels) == (match[1] == "!"):
                return False
        else:
            raise KustomizeError(f"unsupported label selector {requirement!r}")
    return True


def selected(obj: dict[str, Any], target: dict[str, str]) -> bool:
    unknown = set(target) - TARGET_FIELDS
    if unknown:
        raise KustomizeError(f"unsupported target fields {sorted(unknown)}")
    group, _, version = obj["apiVersion"].rpartition("/")
    meta = obj.get("metadata", {})
    exact = {"group": group, "version": version, "kind": obj["kind"]}
    for key, actual in exact.items():
        if key in target and target[key] != actual:
            return False
    regex = {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")}
    for key, actual in regex.items():
        if key in target and not re.fullmatch(target[key], actual):
            return False
    if "labelSelector" in target and not label_selector_matches(
        target["labelSelector"], meta.get("labels") or {}
    ):
        return False
    return "annotationSelector" not in target or label_selector_matches(
        target["annotationSelector"], meta.get("annotations") or {}
    )


# --- pods and images ---------------------------------------------------------------------------


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in POD_TEMPLATE_KINDS:
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] == "Pod":
        return obj["spec"]
    return None


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :], digest or None
    return rest, None, digest or None


def _set_image(obj: dict[str, Any], entry: dict[str, str]) -> None:
    spec = pod_spec(obj)
    if spec is None:
        return
    for container in containers(spec):
        name, tag, digest = split_image(container["image"])
        if name != entry["name"]:
            continue
        new = entry.get("newName", name)
        if entry.get("digest"):
            container["image"] = f"{new}@{entry['digest']}"
        elif entry.get("newTag") or tag:
            container["image"] = f"{new}:{entry.get('newTag', tag)}"
        else:
            container["image"] = new if not digest else f"{new}@{digest}"


# --- the renderer ------------------------------------------------------------------------------


def object_id(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata", {})
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta.get("name", ""))


class Kustomize:
    """`kustomize build` for the subset described in this module's docstring."""

    def build(self, directory: Path) -> list[dict[str, Any]]:
        return self._build(directory.resolve(), [], component=False)

    def load(self, directory: Path, *, component: bool) -> dict[str, Any]:
        path = directory / "kustomization.yaml"
        if not path.exists():
            raise KustomizeError(f"no kustomization.yaml in {directory}")
        data = yaml.safe_load(path.read_text()) or {}
        unknown = set(data) - SUPPORTED_FIELDS
        if unknown:
            raise KustomizeError(f"{path}: fields the test renderer does not know: {unknown}")
        kind = data.get("kind", "Kustomization")
        if kind != ("Component" if component else "Kustomization"):
            raise KustomizeError(
                f"{path}: kind {kind} used as a {'component' if component else 'resource'}"
            )
        return data

    def _build(
        self, directory: Path, accumulated: list[dict[str, Any]], *, component: bool
    ) -> list[dict[str, Any]]:
        kustomization = self.load(directory, component=component)
        objects = copy.deepcopy(accumulated) if component else []
        for entry in kustomization.get("resources", []):
            target = (directory / entry).resolve()
            if target.is_dir():
                objects.extend(self._build(target, [], component=False))
            elif target.is_file():
                objects.extend(doc for doc in yaml.safe_load_all(target.read_text()) if doc)
            else:
                raise KustomizeError(f"{directory}: resource {entry} not found")
        self._check_unique(objects, directory)
        for entry in kustomization.get("components", []):
            objects = self._build((directory / entry).resolve(), objects, component=True)
        for patch in kustomization.get("patches", []):
            self._patch(objects, patch, directory)
        if namespace := kustomization.get("namespace"):
            for obj in objects:
                if obj["kind"] not in CLUSTER_SCOPED:
                    obj.setdefault("metadata", {})["namespace"] = namespace
        for entry in kustomization.get("images", []):
            for obj in objects:
                _set_image(obj, entry)
        self._check_unique(objects, directory)
        return objects

    @staticmethod
    def _check_unique(objects: list[dict[str, Any]], directory: Path) -> None:
        seen: set[tuple[str, str, str, str]] = set()
        for obj in objects:
            key = object_id(obj)
            if key in seen:
                raise KustomizeError(f"{directory}: duplicate object {key}")
            seen.add(key)

    @staticmethod
    def _patch(objects: list[dict[str, Any]], patch: dict[str, Any], directory: Path) -> None:
        if set(patch) - {"target", "patch", "path"} or "target" not in patch:
            raise KustomizeError(f"{directory}: a patch needs a target and patch or path only")
        text = patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text()
        operations = yaml.safe_load(text)
        if not isinstance(operations, list):
            raise KustomizeError(f"{directory}: only RFC 6902 (JSON patch) lists are supported")
        matched = [obj for obj in objects if selected(obj, patch["target"])]
        if not matched:
            raise KustomizeError(f"{directory}: patch target {patch['target']} selects nothing")
        for obj in matched:
            try:
                apply_json6902(obj, operations)
            except KustomizeError as exc:
                raise KustomizeError(f"{directory}: {object_id(obj)}: {exc}") from exc


# --- what the tests share ----------------------------------------------------------------------


@dataclass
class Manifests:
    """Rendered objects of one overlay, with the look-ups the rules need."""

    name: str
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind} {name}, found {len(found)}"
        return found[0]

    def workloads(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for obj in self.objects:
            spec = pod_spec(obj)
            if spec is not None:
                yield obj, spec

    def deployments(self, component: str | None = None) -> list[dict[str, Any]]:
        return [
            obj
            for obj in self.of_kind("Deployment")
            if component is None
            or obj["metadata"]["labels"].get("app.kubernetes.io/component") == component
        ]


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    return load_module("crm_deploy_generate", K8S / "generate.py")


@pytest.fixture(scope="session")
def schema_wait() -> ModuleType:
    return load_module("crm_deploy_wait_for_schema", K8S / "scripts" / "wait_for_schema.py")


@pytest.fixture(scope="session")
def kubernetes_validate() -> Iterator[ModuleType]:
    """kubernetes-validate's `utils`, reading each bundled schema file once per session."""
    from kubernetes_validate import utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "schema_contents", functools.cache(utils.schema_contents))
        yield utils


@pytest.fixture(scope="session")
def kustomize() -> Kustomize:
    return Kustomize()


@pytest.fixture(scope="session")
def rendered(kustomize: Kustomize) -> dict[str, Manifests]:
    return {name: Manifests(name, kustomize.build(K8S / "overlays" / name)) for name in OVERLAYS}


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict[str, Manifests]) -> Manifests:
    return rendered[request.param]


@pytest.fixture(scope="session")
def examples() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((K8S / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


@pytest.fixture(scope="session")
def helpers() -> dict[str, Callable[..., Any]]:
    """Functions the rule tests share (test modules cannot import each other)."""
    return {
        "pod_spec": pod_spec,
        "containers": containers,
        "split_image": split_image,
        "label_selector_matches": label_selector_matches,
        "apply_json6902": apply_json6902,
        "selected": selected,
    }
