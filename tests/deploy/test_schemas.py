"""Every rendered object is valid: built-in kinds against Kubernetes' own OpenAPI schemas
(kubernetes-validate, strict: an unknown field fails), custom resources against the explicit
CRD rules in crd_rules.yaml. Nothing goes unvalidated."""

from __future__ import annotations

import copy
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

KUBERNETES_VERSIONS = ("1.31", "1.37")  # the oldest supported and the newest the package knows
RULES = Path(__file__).with_name("crd_rules.yaml")


@pytest.fixture(scope="module")
def crd_validators() -> dict[str, jsonschema.Draft202012Validator]:
    rules = yaml.safe_load(RULES.read_text())
    validators = {}
    for key, schema in rules["kinds"].items():
        document = {"$defs": rules["$defs"], **schema}
        jsonschema.Draft202012Validator.check_schema(document)
        validators[key] = jsonschema.Draft202012Validator(document)
    return validators


def is_builtin(obj: dict[str, Any], kubernetes_validate: ModuleType) -> bool:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSIONS[-1], strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except kubernetes_validate.ValidationError:
        return True
    return True


def crd_errors(
    obj: dict[str, Any], validators: dict[str, jsonschema.Draft202012Validator]
) -> list[str]:
    validator = validators[f"{obj['apiVersion']} {obj['kind']}"]
    return [
        f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, e.absolute_path))}: "
        f"{e.message}"
        for e in validator.iter_errors(obj)
    ]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_built_in_object_is_valid_against_the_kubernetes_schemas(
    overlay: Any, version: str, kubernetes_validate: ModuleType
) -> None:
    errors, validated = [], 0
    for obj in overlay.objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
            validated += 1
        except kubernetes_validate.SchemaNotFoundError:
            continue
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(map(str, exc.path))
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
    assert errors == []
    assert validated >= 50


def test_every_custom_resource_follows_its_crd_rules(
    overlay: Any,
    crd_validators: dict[str, jsonschema.Draft202012Validator],
    kubernetes_validate: ModuleType,
) -> None:
    custom = [obj for obj in overlay.objects if not is_builtin(obj, kubernetes_validate)]
    unknown = {
        f"{o['apiVersion']} {o['kind']}"
        for o in custom
        if f"{o['apiVersion']} {o['kind']}" not in crd_validators
    }
    assert unknown == set(), "custom resources without rules would go unvalidated"
    errors = [error for obj in custom for error in crd_errors(obj, crd_validators)]
    assert errors == []
    assert {o["kind"] for o in custom} == {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "ScaledObject",
        "TriggerAuthentication",
        "Cluster",
        "Database",
    }


def test_every_object_is_namespaced_by_its_overlay(overlay: Any) -> None:
    assert {obj["metadata"].get("namespace") for obj in overlay.objects} == {"crm"}


def test_the_integrator_example_follows_the_kafka_user_rules(
    examples: list[dict[str, Any]], crd_validators: dict[str, jsonschema.Draft202012Validator]
) -> None:
    assert [o["kind"] for o in examples] == ["KafkaUser"]
    assert crd_errors(examples[0], crd_validators) == []


def test_the_crd_rules_reject_a_field_the_v1_api_removed(
    rendered: dict[str, Any], crd_validators: dict[str, jsonschema.Draft202012Validator]
) -> None:
    user = copy.deepcopy(rendered["prod"].get("KafkaUser", "crm-customers"))
    acl = user["spec"]["authorization"]["acls"][0]
    acl["operation"] = acl.pop("operations")[0]  # v1beta2's singular form
    assert any("operation" in error for error in crd_errors(user, crd_validators))


def test_the_crd_rules_reject_an_unquoted_postgres_parameter(
    rendered: dict[str, Any], crd_validators: dict[str, jsonschema.Draft202012Validator]
) -> None:
    cluster = copy.deepcopy(rendered["prod"].get("Cluster", "crm-pg"))
    cluster["spec"]["postgresql"]["parameters"]["max_connections"] = 1000
    assert crd_errors(cluster, crd_validators) != []


def test_the_kubernetes_schemas_reject_an_unknown_container_field(
    rendered: dict[str, Any], kubernetes_validate: ModuleType
) -> None:
    deployment = copy.deepcopy(rendered["prod"].get("Deployment", "customers-api"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
