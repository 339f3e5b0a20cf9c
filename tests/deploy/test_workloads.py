"""The rules every workload of every overlay keeps: hardened, sized, probed, budgeted,
autoscaled, spread, shut down gracefully, migrated before it runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
UVICORN_GRACE_S = 15  # servicekit.cli: uvicorn's timeout_graceful_shutdown
RUNTIME_STOP_S = 15  # servicekit.runtime: Runtime.stop waits for relay/consumer tasks

Helpers = dict[str, Callable[..., Any]]

SUFFIXES = {
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
}


def quantity(value: str | int) -> Decimal:
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    assert match, f"not a quantity: {value!r}"
    return Decimal(match[1]) * SUFFIXES.get(match[2], Decimal(1))


def all_containers(overlay: Any, helpers: Helpers) -> Iterator[tuple[str, dict, dict]]:
    """(workload/container, container, pod spec) for every container of every workload."""
    for obj, spec in overlay.workloads():
        for container in helpers["containers"](spec):
            yield f"{obj['kind']}/{obj['metadata']['name']}/{container['name']}", container, spec


def service_of(obj: dict[str, Any]) -> str:
    return obj["metadata"]["labels"]["app.kubernetes.io/name"]


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_the_overlays_run_an_api_and_a_worker_per_service_and_a_migration_job(
    overlay: Any, generator: ModuleType
) -> None:
    names = [s.name for s in generator.SERVICES]
    assert sorted(d["metadata"]["name"] for d in overlay.deployments("api")) == sorted(
        f"{n}-api" for n in names
    )
    assert sorted(d["metadata"]["name"] for d in overlay.deployments("worker")) == sorted(
        f"{n}-worker" for n in names
    )
    assert sorted(j["metadata"]["name"] for j in overlay.of_kind("Job")) == sorted(
        f"{n}-migrate" for n in names
    )
    assert len(list(overlay.workloads())) == 15


def test_every_container_runs_as_non_root_on_a_read_only_root_without_privileges(
    overlay: Any, helpers: Helpers
) -> None:
    for where, container, spec in all_containers(overlay, helpers):
        pod = spec.get("securityContext", {})
        own = container.get("securityContext", {})
        effective = {**pod, **own}
        assert effective.get("runAsNonRoot") is True, where
        assert effective.get("runAsUser", 0) != 0, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("readOnlyRootFilesystem") is True, where
        assert own.get("privileged", False) is False, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert not own.get("capabilities", {}).get("add"), where
        assert effective.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host), where


def test_every_container_requests_and_limits_cpu_and_memory(overlay: Any, helpers: Helpers) -> None:
    for where, container, _ in all_containers(overlay, helpers):
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            assert request is not None, f"{where}: {resource} request"
            assert limit is not None, f"{where}: {resource} limit"
            assert quantity(request) <= quantity(limit), f"{where}: {resource}"


def test_long_running_containers_probe_livez_at_start_and_while_alive_and_readyz_for_traffic(
    overlay: Any,
) -> None:
    for deployment in overlay.deployments():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        where = deployment["metadata"]["name"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected = {
            "startupProbe": "/livez",
            "livenessProbe": "/livez",
            "readinessProbe": "/readyz",
        }
        for probe, path in expected.items():
            http = container[probe]["httpGet"]
            assert http["path"] == path, f"{where}: {probe}"
            assert http["port"] in ports, f"{where}: {probe} port"
        # The process listens where the probes look (`--port` of the api/worker command).
        args = container["args"]
        assert int(args[args.index("--port") + 1]) == ports["http"], where
        # Readiness may take the database and broker checks' full 2 s + 2 s.
        assert container["readinessProbe"]["timeoutSeconds"] >= 4, where
        startup = container["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 30, where


def test_every_deployment_has_a_disruption_budget_that_selects_its_pods_and_allows_drains(
    overlay: Any, helpers: Helpers
) -> None:
    budgets = overlay.of_kind("PodDisruptionBudget")
    for deployment in overlay.deployments():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(matching) == 1, deployment["metadata"]["name"]
        spec = matching[0]["spec"]
        # maxUnavailable never blocks a node drain, whatever the replica count.
        assert spec.get("maxUnavailable") == 1
        assert "minAvailable" not in spec
        assert spec.get("unhealthyPodEvictionPolicy") == "AlwaysAllow"


def test_apis_scale_with_a_cpu_autoscaler_and_workers_on_kafka_consumer_lag(overlay: Any) -> None:
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in overlay.of_kind("HorizontalPodAutoscaler")
    }
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in overlay.of_kind("ScaledObject")}
    for deployment in overlay.deployments("api"):
        name = deployment["metadata"]["name"]
        assert name in hpas, name
        assert name not in scaled, name
        target = hpas[name]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["apiVersion"]) == ("Deployment", "apps/v1")
        assert 1 <= hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
    for deployment in overlay.deployments("worker"):
        name = deployment["metadata"]["name"]
        assert name in scaled, name
        assert name not in hpas, name
        spec = scaled[name]["spec"]
        assert {t["type"] for t in spec["triggers"]} == {"kafka"}
        # The worker also runs the scheduled jobs and the relay's standby: never zero.
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        assert spec["fallback"]["replicas"] <= spec["maxReplicaCount"]
    assert set(hpas) | set(scaled) == {d["metadata"]["name"] for d in overlay.deployments()}


def test_autoscaled_deployments_leave_the_replica_count_to_their_autoscaler(overlay: Any) -> None:
    assert [d["metadata"]["name"] for d in overlay.deployments() if "replicas" in d["spec"]] == []


def test_rollouts_keep_every_old_pod_until_a_new_one_is_ready(overlay: Any) -> None:
    for deployment in overlay.deployments():
        rolling = deployment["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0, deployment["metadata"]["name"]


def test_pods_spread_over_zones_and_nodes(overlay: Any) -> None:
    for deployment in overlay.deployments():
        template = deployment["spec"]["template"]
        constraints = template["spec"]["topologySpreadConstraints"]
        keys = {c["topologyKey"] for c in constraints}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for constraint in constraints:
            selector = constraint["labelSelector"]["matchLabels"]
            assert selector.items() <= template["metadata"]["labels"].items()
            assert constraint["maxSkew"] == 1


def test_pods_leave_the_endpoints_before_sigterm_and_get_time_to_finish_their_work(
    overlay: Any,
) -> None:
    for deployment in overlay.deployments():
        spec = deployment["spec"]["template"]["spec"]
        pre_stop = spec["containers"][0]["lifecycle"]["preStop"]
        pause = pre_stop["sleep"]["seconds"]
        assert pause >= 3, deployment["metadata"]["name"]
        needed = pause + UVICORN_GRACE_S + RUNTIME_STOP_S
        assert spec["terminationGracePeriodSeconds"] >= needed, deployment["metadata"]["name"]


def test_api_pods_run_no_consumers_or_jobs_and_worker_pods_serve_no_api(
    overlay: Any, generator: ModuleType
) -> None:
    prefixes = {s.name: s.prefix for s in generator.SERVICES}
    roles = {
        "api": {"SERVE_API": "true", "RUN_CONSUMER": "false", "RUN_JOBS": "false"},
        "worker": {"SERVE_API": "false", "RUN_CONSUMER": "true", "RUN_JOBS": "true"},
    }
    for role, settings in roles.items():
        for deployment in overlay.deployments(role):
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            prefix = prefixes[service_of(deployment)]
            assert container["args"][0] == role
            values = env(container)
            for key, value in settings.items():
                assert values[prefix + key] == value, (deployment["metadata"]["name"], key)
            assert values[prefix + "RUN_RELAY"] == "true"  # one relay per database is elected


def test_every_service_migrates_in_a_job_and_its_pods_wait_for_the_schema(
    overlay: Any, generator: ModuleType
) -> None:
    for service in generator.SERVICES:
        job = overlay.get("Job", f"{service.name}-migrate")
        pod = job["spec"]["template"]["spec"]
        assert pod["restartPolicy"] == "Never"
        assert pod["containers"][0]["args"] == ["migrate"]
        images = {pod["containers"][0]["image"]}
        waits = {"Job": pod["initContainers"][0]}
        for role in ("api", "worker"):
            deployment = overlay.get("Deployment", f"{service.name}-{role}")
            spec = deployment["spec"]["template"]["spec"]
            waits[role] = spec["initContainers"][0]
            images.add(spec["containers"][0]["image"])
        assert len(images) == 1, "the Job must migrate with the release's own image"
        for who, init in waits.items():
            args = init["args"]
            until = "reachable" if who == "Job" else "migrated"
            assert args[args.index("--until") + 1] == until, (service.name, who)
            assert args[args.index("--package") + 1] == service.module
            assert init["image"] in images
            assert init["command"][1].startswith("/opt/crm/schema-wait/")
        assert job["spec"]["backoffLimit"] >= 1
        assert "ttlSecondsAfterFinished" in job["spec"]


def test_the_schema_wait_script_is_mounted_from_its_configmap(overlay: Any) -> None:
    config = overlay.get("ConfigMap", "crm-schema-wait")
    assert (K8S / "scripts" / "wait_for_schema.py").read_text() == config["data"][
        "wait_for_schema.py"
    ]
    for _, spec in overlay.workloads():
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["schema-wait"]["configMap"]["name"] == "crm-schema-wait"


def test_database_urls_come_from_secrets_and_no_configmap_holds_a_credential(
    overlay: Any, helpers: Helpers
) -> None:
    for where, container, _ in all_containers(overlay, helpers):
        for item in container.get("env", []):
            if item["name"].endswith("DATABASE_URL"):
                assert "secretKeyRef" in item.get("valueFrom", {}), where
            assert "value" not in item or "://" not in item["value"] or "@" not in item["value"]
    for config in overlay.of_kind("ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            assert not re.search(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|PRIVATE", key), key
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), key
    assert overlay.of_kind("Secret") == [], "secrets are created at install, never committed"


def test_python_writes_no_bytecode_and_tmp_is_a_small_writable_emptydir(
    overlay: Any, helpers: Helpers
) -> None:
    for where, container, spec in all_containers(overlay, helpers):
        assert env(container).get("PYTHONDONTWRITEBYTECODE") == "1", where
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "/tmp" in mounts, where
        assert "sizeLimit" in volumes[mounts["/tmp"]]["emptyDir"], where
        assert all(m.get("readOnly") for m in container["volumeMounts"] if m["mountPath"] != "/tmp")


def test_pods_get_their_own_account_without_an_api_token_or_service_links(
    overlay: Any, generator: ModuleType
) -> None:
    accounts = {a["metadata"]["name"]: a for a in overlay.of_kind("ServiceAccount")}
    for obj, spec in overlay.workloads():
        assert spec["serviceAccountName"] == service_of(obj)
        assert spec["automountServiceAccountToken"] is False
        # Links would add e.g. CUSTOMERS_PORT, under the prefix the service's settings read.
        assert spec["enableServiceLinks"] is False
    assert set(accounts) == {s.name for s in generator.SERVICES}
    assert all(a["automountServiceAccountToken"] is False for a in accounts.values())


def test_images_are_pinned_to_a_release_and_one_service_runs_one_image(
    overlay: Any, helpers: Helpers
) -> None:
    per_service: dict[str, set[str]] = {}
    for obj, spec in overlay.workloads():
        for container in helpers["containers"](spec):
            name, tag, digest = helpers["split_image"](container["image"])
            assert digest or (tag and tag != "latest"), container["image"]
            assert name.endswith("/" + service_of(obj))
            per_service.setdefault(service_of(obj), set()).add(container["image"])
    assert all(len(images) == 1 for images in per_service.values()), per_service
    if overlay.name == "prod":
        registries = {image.split("/")[0] for (image,) in per_service.values()}
        assert all("." in registry for registry in registries), "prod pulls from a registry"


def test_each_service_reads_only_settings_under_its_own_prefix(
    overlay: Any, helpers: Helpers, generator: ModuleType
) -> None:
    prefixes = {s.name: s.prefix for s in generator.SERVICES}
    config_maps = {c["metadata"]["name"] for c in overlay.of_kind("ConfigMap")}
    for obj, spec in overlay.workloads():
        prefix = prefixes[service_of(obj)]
        for container in helpers["containers"](spec):
            for name in env(container):
                assert name.startswith((prefix, "PYTHON")), (obj["metadata"]["name"], name)
            for source in container.get("envFrom", []):
                assert source["prefix"] == prefix
                assert source["configMapRef"]["name"] in config_maps


def test_the_service_sends_http_to_the_api_pods_only(overlay: Any) -> None:
    for service in overlay.of_kind("Service"):
        selector = service["spec"]["selector"]
        targets = [
            d
            for d in overlay.deployments()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert [t["metadata"]["name"] for t in targets] == [f"{service['metadata']['name']}-api"]
        container = targets[0]["spec"]["template"]["spec"]["containers"][0]
        port_names = {p["name"] for p in container["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_every_overlay_tells_the_services_where_the_token_keys_are(overlay: Any) -> None:
    data = overlay.get("ConfigMap", "crm-platform")["data"]
    assert "JWT_ISSUER" in data
    assert "JWT_AUDIENCE" in data
    assert ("JWT_JWKS_URL" in data) != ("JWT_JWKS_FILE" in data)
    if "JWT_JWKS_URL" in data:
        assert data["JWT_JWKS_URL"].startswith("https://")
        return
    directory = str(Path(data["JWT_JWKS_FILE"]).parent)
    for deployment in overlay.deployments():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert directory in {m["mountPath"] for m in container["volumeMounts"]}


@pytest.mark.parametrize("overlay_name", ["dev", "prod"])
def test_every_referenced_secret_and_configmap_is_made_by_the_manifests_an_operator_or_the_install(
    rendered: dict[str, Any], helpers: Helpers, generator: ModuleType, overlay_name: str
) -> None:
    overlay = rendered[overlay_name]
    script = (K8S / "scripts" / "create-secrets.sh").read_text()
    made_at_install = set(re.findall(r"(crm-[a-z-]+-db):", script))
    made_by_strimzi = {u["metadata"]["name"] for u in overlay.of_kind("KafkaUser")} | {
        f"{generator.KAFKA_CLUSTER}-cluster-ca-cert"
    }
    config_maps = {c["metadata"]["name"] for c in overlay.of_kind("ConfigMap")}
    documented = (K8S / "README.md").read_text()
    secrets, maps = set(), set()
    for _, spec in overlay.workloads():
        for volume in spec["volumes"]:
            for source in volume.get("projected", {}).get("sources", []):
                secrets.add(source["secret"]["name"])
            if "configMap" in volume:
                maps.add(volume["configMap"]["name"])
        for container in helpers["containers"](spec):
            for item in container.get("env", []):
                if ref := item.get("valueFrom", {}).get("secretKeyRef"):
                    secrets.add(ref["name"])
    for auth in overlay.of_kind("TriggerAuthentication"):
        secrets |= {ref["name"] for ref in auth["spec"]["secretTargetRef"]}
    assert secrets <= made_at_install | made_by_strimzi, secrets - made_at_install - made_by_strimzi
    assert {s.db_secret for s in generator.SERVICES} == made_at_install
    for name in maps - config_maps:
        assert f"configmap {name}" in documented, f"{name} is neither rendered nor documented"
