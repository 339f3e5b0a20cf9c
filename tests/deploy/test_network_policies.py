"""NetworkPolicies, evaluated: a small model of the Kubernetes semantics (a pod selected by no
policy of a direction is open in it; otherwise a connection needs one rule of one selecting
policy that matches peer and port) answers who may talk to whom in each rendered overlay.
Pods get addresses in 10.244.0.0/16, as in a cluster, so a too-wide ipBlock shows up."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest

NAMESPACE = "crm"
KAFKA_BROKER = {
    "strimzi.io/cluster": "crm-kafka",
    "strimzi.io/kind": "Kafka",
    "strimzi.io/broker-role": "true",
    "strimzi.io/controller-role": "true",
}
POSTGRES = {"cnpg.io/cluster": "crm-pg", "cnpg.io/instanceRole": "primary"}
KUBE_DNS = {"k8s-app": "kube-dns"}
PUBLIC = "203.0.113.10"  # TEST-NET-3: stands for any address on the internet


@dataclass(frozen=True)
class Pod:
    labels: dict[str, str]
    namespace: str = NAMESPACE
    ip: str = "10.244.1.1"


@dataclass(frozen=True)
class Address:
    ip: str
    labels: dict[str, str] = field(default_factory=dict)
    namespace: str | None = None  # outside the cluster


def external(ip: str) -> Address:
    return Address(ip)


def matches_selector(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer: dict[str, Any], other: Pod | Address, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        ip = ipaddress.ip_address(other.ip)
        if ip not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if other.namespace is None:
        return False  # pod and namespace selectors match only pods
    namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
    if "namespaceSelector" in peer:
        if not matches_selector(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return matches_selector(peer.get("podSelector", {}), other.labels)


def port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == protocol and p.get("port") == port for p in ports)


def allowed(
    policies: list[dict[str, Any]],
    subject: Pod,
    other: Pod | Address,
    port: int,
    direction: str,
    protocol: str = "TCP",
) -> bool:
    """Is `direction` ('Egress' from subject to other, 'Ingress' from other to subject) open?"""
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and direction in p["spec"].get("policyTypes", ["Ingress"])
        and matches_selector(p["spec"]["podSelector"], subject.labels)
    ]
    if not selecting:
        return True
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            peer_ok = not peers or any(
                peer_matches(peer, other, policy["metadata"]["namespace"]) for peer in peers
            )
            if peer_ok and port_matches(rule, port, protocol):
                return True
    return False


def connects(
    policies: list[dict[str, Any]], source: Pod | Address, target: Pod | Address, port: int
) -> bool:
    """Both ends' policies agree (egress of the source, ingress of the target)."""
    out = not isinstance(source, Pod) or allowed(policies, source, target, port, "Egress")
    into = not isinstance(target, Pod) or allowed(policies, target, source, port, "Ingress")
    return out and into


def crm_pod(overlay: Any, service: str, component: str) -> Pod:
    for obj, _ in overlay.workloads():
        labels = obj["spec"]["template"]["metadata"]["labels"]
        if labels["app.kubernetes.io/name"] == service and (
            labels["app.kubernetes.io/component"] == component
        ):
            return Pod(dict(labels), ip="10.244.2.7")
    raise AssertionError(f"no {component} pod for {service}")


@pytest.fixture
def policies(overlay: Any) -> list[dict[str, Any]]:
    return overlay.of_kind("NetworkPolicy")


COMPONENTS = ("api", "worker", "migration")


def test_every_service_pod_is_isolated_in_both_directions(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    stranger = Pod({"app": "anything"}, ip="10.244.9.9")
    for obj, _ in overlay.workloads():
        pod = Pod(dict(obj["spec"]["template"]["metadata"]["labels"]))
        assert not allowed(policies, pod, stranger, 1234, "Egress")
        assert not allowed(policies, pod, stranger, 1234, "Ingress")
        assert not allowed(policies, pod, external(PUBLIC), 5432, "Egress")


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_service_pod_resolves_names_and_reaches_postgres(
    overlay: Any, policies: list[dict[str, Any]], generator: ModuleType, component: str
) -> None:
    dns = Pod(KUBE_DNS, namespace="kube-system", ip="10.96.0.10")
    database = Pod(POSTGRES, ip="10.244.3.3")
    for service in generator.SERVICES:
        pod = crm_pod(overlay, service.name, component)
        assert allowed(policies, pod, dns, 53, "Egress", "UDP")
        assert allowed(policies, pod, dns, 53, "Egress", "TCP")
        assert connects(policies, pod, database, 5432)
        assert not connects(policies, pod, database, 8000)


def test_api_and_worker_pods_reach_the_brokers_listener_and_the_migration_job_does_not(
    overlay: Any, policies: list[dict[str, Any]], generator: ModuleType
) -> None:
    broker = Pod(KAFKA_BROKER, ip="10.244.4.4")
    for service in generator.SERVICES:
        for component in ("api", "worker"):
            pod = crm_pod(overlay, service.name, component)
            assert allowed(policies, pod, broker, 9093, "Egress")
            assert not allowed(policies, pod, broker, 9092, "Egress")
        assert not allowed(
            policies, crm_pod(overlay, service.name, "migration"), broker, 9093, "Egress"
        )


def test_services_never_call_each_other_over_http(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    customers = crm_pod(overlay, "customers", "api")
    for target in (crm_pod(overlay, "sales", "api"), crm_pod(overlay, "reporting", "worker")):
        for port in (8080, 8081, 80):
            assert not connects(policies, customers, target, port)


def test_only_notifications_reaches_the_customers_api_for_campaign_segments(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    customers_api = crm_pod(overlay, "customers", "api")
    assert connects(policies, crm_pod(overlay, "notifications", "worker"), customers_api, 8080)
    for other in ("sales", "reporting", "service-desk"):
        assert not connects(policies, crm_pod(overlay, other, "worker"), customers_api, 8080)


def test_only_notifications_sends_mail_and_calls_public_webhooks(
    overlay: Any, policies: list[dict[str, Any]], generator: ModuleType
) -> None:
    relay = external("10.20.30.40")  # the company's mail relay, on a private address
    for service in generator.SERVICES:
        worker = crm_pod(overlay, service.name, "worker")
        sends = service.name == "notifications"
        assert allowed(policies, worker, relay, 587, "Egress") is sends
        assert allowed(policies, worker, external(PUBLIC), 443, "Egress") is sends
    notifications = crm_pod(overlay, "notifications", "worker")
    # No SSRF: a webhook URL cannot point into the cluster, the network or the metadata service.
    for inside in ("10.20.30.40", "10.244.5.5", "192.168.1.1", "169.254.169.254", "172.16.0.1"):
        assert not allowed(policies, notifications, external(inside), 443, "Egress"), inside
        assert not allowed(policies, notifications, external(inside), 80, "Egress"), inside


def test_api_pods_fetch_token_keys_from_public_https_only(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    api = crm_pod(overlay, "customers", "api")
    assert allowed(policies, api, external(PUBLIC), 443, "Egress")
    assert not allowed(policies, api, external(PUBLIC), 80, "Egress")
    assert not allowed(policies, api, external("169.254.169.254"), 443, "Egress")
    assert not allowed(
        policies, crm_pod(overlay, "customers", "worker"), external(PUBLIC), 443, "Egress"
    )


def test_http_reaches_the_apis_from_the_ingress_controller_and_metrics_reach_prometheus(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    ingress = Pod({"app.kubernetes.io/name": "ingress-nginx"}, namespace="ingress-nginx")
    prometheus = Pod({"app.kubernetes.io/name": "prometheus"}, namespace="monitoring")
    elsewhere = Pod({"app": "shell"}, namespace="default")
    api = crm_pod(overlay, "sales", "api")
    worker = crm_pod(overlay, "sales", "worker")
    assert allowed(policies, api, ingress, 8080, "Ingress")
    assert allowed(policies, api, prometheus, 8080, "Ingress")
    assert not allowed(policies, api, elsewhere, 8080, "Ingress")
    assert allowed(policies, worker, prometheus, 8081, "Ingress")
    assert not allowed(policies, worker, ingress, 8081, "Ingress")


def test_postgres_admits_the_services_its_replicas_and_its_operator_only(
    overlay: Any, policies: list[dict[str, Any]]
) -> None:
    database = Pod(POSTGRES, ip="10.244.3.3")
    replica = Pod({"cnpg.io/cluster": "crm-pg", "cnpg.io/instanceRole": "replica"})
    operator = Pod({"app.kubernetes.io/name": "cloudnative-pg"}, namespace="cnpg-system")
    assert allowed(policies, database, crm_pod(overlay, "reporting", "migration"), 5432, "Ingress")
    assert allowed(policies, database, replica, 5432, "Ingress")
    assert allowed(policies, database, operator, 8000, "Ingress")
    assert not allowed(policies, database, Pod(KAFKA_BROKER), 5432, "Ingress")
    assert not allowed(
        policies, database, Pod({"app": "shell"}, namespace="default"), 5432, "Ingress"
    )


def test_the_kafka_listener_admits_the_service_pods_and_keda(overlay: Any) -> None:
    listener = overlay.get("Kafka", "crm-kafka")["spec"]["kafka"]["listeners"][0]
    peers = listener["networkPolicyPeers"]
    api = crm_pod(overlay, "customers", "api")
    keda = Pod({"app": "keda-operator"}, namespace="keda")
    assert any(peer_matches(p, api, NAMESPACE) for p in peers)
    assert any(peer_matches(p, keda, NAMESPACE) for p in peers)
    assert not any(
        peer_matches(p, Pod({"app": "x"}, namespace="default"), NAMESPACE) for p in peers
    )


def test_the_policies_leave_the_operators_pods_to_the_operators(
    policies: list[dict[str, Any]],
) -> None:
    broker = Pod(KAFKA_BROKER)
    assert not any(matches_selector(p["spec"]["podSelector"], broker.labels) for p in policies)
    # Strimzi copies the Kafka resource's labels (part-of: crm) onto its pods: still not selected.
    labelled = Pod({**KAFKA_BROKER, "app.kubernetes.io/part-of": "crm"})
    assert not any(matches_selector(p["spec"]["podSelector"], labelled.labels) for p in policies)
