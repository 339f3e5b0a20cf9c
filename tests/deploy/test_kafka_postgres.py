"""Kafka (Strimzi) and PostgreSQL (CloudNativePG): topics as the contracts define them, who may
write and read what, scaling on the right lag, one database per service, room for connections."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from crm_contracts import ALL_TOPICS, DEFAULT_PARTITIONS, dlq_topic

WRITE_OPERATIONS = {"Write", "Create", "Delete", "Alter", "AlterConfigs", "All", "ClusterAction"}
RESERVED_CONNECTIONS = 10  # superuser_reserved_connections, replication, the operator


def acl_map(user: dict[str, Any]) -> dict[str, set[tuple[str, str, str]]]:
    """operation -> {(resource type, name, pattern type)} of a KafkaUser's allow rules."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl.get("type", "allow") == "allow"
        resource = acl["resource"]
        key = (resource["type"], resource.get("name", ""), resource.get("patternType", "literal"))
        for operation in acl["operations"]:
            out.setdefault(operation, set()).add(key)
    return out


def brokers(overlay: Any) -> int:
    return sum(
        pool["spec"]["replicas"]
        for pool in overlay.of_kind("KafkaNodePool")
        if "broker" in pool["spec"]["roles"]
    )


def test_the_topics_are_the_contract_topics_and_their_dead_letters(overlay: Any) -> None:
    topics = {t["metadata"]["name"]: t for t in overlay.of_kind("KafkaTopic")}
    assert set(topics) == {*ALL_TOPICS, *(dlq_topic(t) for t in ALL_TOPICS)}
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "crm-kafka"
        assert topic["spec"]["partitions"] == DEFAULT_PARTITIONS
        assert "topicName" not in topic["spec"]  # the object name is the topic name


def test_prod_topics_keep_three_replicas_and_accept_a_write_only_with_two_in_sync(
    rendered: dict[str, Any],
) -> None:
    prod = rendered["prod"]
    assert brokers(prod) >= 3
    for topic in prod.of_kind("KafkaTopic"):
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"
    config = prod.get("Kafka", "crm-kafka")["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3
    assert config["min.insync.replicas"] == 2
    assert config["offsets.topic.replication.factor"] == 3
    assert "rack" in prod.get("Kafka", "crm-kafka")["spec"]["kafka"]


def test_no_topic_asks_for_more_replicas_than_there_are_brokers(overlay: Any) -> None:
    count = brokers(overlay)
    for topic in overlay.of_kind("KafkaTopic"):
        replicas = topic["spec"]["replicas"]
        in_sync = int(topic["spec"]["config"]["min.insync.replicas"])
        assert replicas <= count
        # One broker may fail without stopping writes (acks=all), unless there is only one.
        assert in_sync == 1 if replicas == 1 else in_sync <= replicas - 1
    config = overlay.get("Kafka", "crm-kafka")["spec"]["kafka"]["config"]
    assert config["offsets.topic.replication.factor"] <= count
    assert config["auto.create.topics.enable"] is False


def test_event_topics_keep_every_event_for_replay_and_dead_letters_expire(overlay: Any) -> None:
    for topic in overlay.of_kind("KafkaTopic"):
        retention = int(topic["spec"]["config"]["retention.ms"])
        if topic["metadata"]["name"].endswith(".dlq"):
            assert 0 < retention <= 90 * 24 * 3600 * 1000
        else:
            assert retention == -1, "reporting rebuilds its projections from offset 0"


def test_each_service_writes_only_its_own_topic_and_the_dead_letters_of_what_it_consumes(
    overlay: Any, generator: ModuleType
) -> None:
    for service in generator.SERVICES:
        acls = acl_map(overlay.get("KafkaUser", service.kafka_user))
        writes = acls.get("Write", set())
        expected = {("topic", dlq_topic(t), "literal") for t in service.consumes}
        if service.topic:
            expected.add(("topic", service.topic, "literal"))
        assert writes == expected, service.name
        assert not (set(acls) & (WRITE_OPERATIONS - {"Write"})), service.name
        reads = acls.get("Read", set())
        assert reads == {("topic", t, "literal") for t in service.consumes} | {
            ("group", service.consumer_group, "literal")
        }, service.name
        assert all(pattern == "literal" for _, _, pattern in writes | reads)


def test_every_event_topic_has_exactly_one_writer(overlay: Any, generator: ModuleType) -> None:
    writers: dict[str, list[str]] = {}
    for user in overlay.of_kind("KafkaUser"):
        for kind, name, _ in acl_map(user).get("Write", set()):
            if kind == "topic" and not name.endswith(".dlq"):
                writers.setdefault(name, []).append(user["metadata"]["name"])
    assert writers == {s.topic: [s.kafka_user] for s in generator.SERVICES if s.topic}


def test_every_worker_scales_on_the_lag_of_exactly_the_topics_and_group_it_reads(
    overlay: Any, generator: ModuleType
) -> None:
    for service in generator.SERVICES:
        scaled = overlay.get("ScaledObject", f"{service.name}-worker")
        triggers = [t["metadata"] for t in scaled["spec"]["triggers"]]
        acls = acl_map(overlay.get("KafkaUser", service.kafka_user))
        read_topics = {name for kind, name, _ in acls["Read"] if kind == "topic"}
        assert {t["topic"] for t in triggers} == read_topics == set(service.consumes)
        assert {t["consumerGroup"] for t in triggers} == {service.consumer_group}
        assert all(t["offsetResetPolicy"] == "earliest" for t in triggers)  # as the consumer
        # More consumers than partitions would sit idle.
        assert scaled["spec"]["maxReplicaCount"] <= DEFAULT_PARTITIONS
        config = overlay.get("ConfigMap", f"{service.name}-config")["data"]
        assert config["CONSUMER_GROUP"] == service.consumer_group


def test_keda_reads_lag_over_mutual_tls_by_the_brokers_name_in_the_overlay_namespace(
    overlay: Any,
) -> None:
    kafka = overlay.get("Kafka", "crm-kafka")
    namespace = kafka["metadata"]["namespace"]
    port = kafka["spec"]["kafka"]["listeners"][0]["port"]
    expected = f"crm-kafka-kafka-bootstrap.{namespace}.svc:{port}"
    for scaled in overlay.of_kind("ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["metadata"]["bootstrapServers"] == expected
            assert trigger["metadata"]["tls"] == "enable"
            assert trigger["authenticationRef"]["name"] == "crm-kafka-keda"
    auth = overlay.get("TriggerAuthentication", "crm-kafka-keda")
    parameters = {ref["parameter"]: ref["name"] for ref in auth["spec"]["secretTargetRef"]}
    assert parameters == {"ca": "crm-kafka-cluster-ca-cert", "cert": "crm-keda", "key": "crm-keda"}
    keda = acl_map(overlay.get("KafkaUser", "crm-keda"))
    assert set(keda) == {"Describe"}


def test_the_services_reach_the_brokers_over_mutual_tls_with_their_own_certificate(
    overlay: Any, generator: ModuleType
) -> None:
    kafka = overlay.get("Kafka", "crm-kafka")["spec"]["kafka"]
    (listener,) = kafka["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == "tls"
    assert kafka["authorization"]["type"] == "simple"
    data = overlay.get("ConfigMap", "crm-platform")["data"]
    assert data["KAFKA_BOOTSTRAP"] == f"crm-kafka-kafka-bootstrap:{listener['port']}"
    assert data["KAFKA_SECURITY_PROTOCOL"] == "SSL"
    for service in generator.SERVICES:
        assert overlay.get("KafkaUser", service.kafka_user)["spec"]["authentication"] == {
            "type": "tls"
        }
        for role in ("api", "worker"):
            spec = overlay.get("Deployment", f"{service.name}-{role}")["spec"]["template"]["spec"]
            (volume,) = [v for v in spec["volumes"] if v["name"] == "kafka-tls"]
            files = {
                f"{item['path']}": source["secret"]["name"]
                for source in volume["projected"]["sources"]
                for item in source["secret"]["items"]
            }
            assert files == {
                "ca.crt": "crm-kafka-cluster-ca-cert",
                "user.crt": service.kafka_user,
                "user.key": service.kafka_user,
            }
            mount = next(
                m["mountPath"]
                for m in spec["containers"][0]["volumeMounts"]
                if m["name"] == "kafka-tls"
            )
            for key, name in (
                ("CAFILE", "ca.crt"),
                ("CERTFILE", "user.crt"),
                ("KEYFILE", "user.key"),
            ):
                assert data[f"KAFKA_SSL_{key}"] == f"{mount}/{name}"


def test_integrators_get_read_only_access_to_the_event_topics(
    examples: list[dict[str, Any]],
) -> None:
    (user,) = examples
    acls = acl_map(user)
    assert set(acls) == {"Read", "Describe"}
    topics = {name for kind, name, _ in acls["Read"] if kind == "topic"}
    assert topics == set(ALL_TOPICS)
    groups = [(name, pattern) for kind, name, pattern in acls["Read"] if kind == "group"]
    assert groups
    assert all(not name.startswith("crm-") for name, _ in groups)


def test_only_the_prod_overlay_turns_on_producer_idempotence(rendered: dict[str, Any]) -> None:
    values = {
        name: overlay.get("ConfigMap", "crm-platform")["data"]["KAFKA_ENABLE_IDEMPOTENCE"]
        for name, overlay in rendered.items()
    }
    assert values == {"dev": "false", "prod": "true"}


def test_consumers_wait_for_fetches_as_apache_kafka_needs(overlay: Any) -> None:
    data = overlay.get("ConfigMap", "crm-platform")["data"]
    assert data["CONSUMER_FETCH_MAX_WAIT_MS"] == "500"


def test_each_service_has_its_own_database_owned_by_its_own_login_role(
    overlay: Any, generator: ModuleType
) -> None:
    cluster = overlay.get("Cluster", "crm-pg")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = overlay.of_kind("Database")
    assert len(databases) == len(generator.SERVICES)
    assert len({d["spec"]["name"] for d in databases}) == len(databases)
    for service in generator.SERVICES:
        database = overlay.get("Database", f"crm-{service.name}")["spec"]
        assert database["cluster"]["name"] == "crm-pg"
        assert database["name"] == database["owner"] == service.database
        assert database["databaseReclaimPolicy"] == "retain"
        role = roles[service.database]
        assert role["login"] is True
        assert role.get("superuser", False) is False
        assert role["passwordSecret"]["name"] == service.db_secret
    assert cluster["spec"].get("enableSuperuserAccess", False) is False


def test_postgres_has_room_for_every_connection_the_autoscalers_allow(
    overlay: Any, generator: ModuleType
) -> None:
    cluster = overlay.get("Cluster", "crm-pg")
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    hpa = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in overlay.of_kind("HorizontalPodAutoscaler")
    }
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in overlay.of_kind("ScaledObject")}
    total = 0
    for service in generator.SERVICES:
        pool = int(overlay.get("ConfigMap", f"{service.name}-config")["data"]["DATABASE_POOL_SIZE"])
        per_pod = 2 * pool + 1  # pool + max_overflow (servicekit.db) + the relay's LISTEN
        pods = (
            hpa[f"{service.name}-api"]["spec"]["maxReplicas"]
            + scaled[f"{service.name}-worker"]["spec"]["maxReplicaCount"]
            + 1  # the migration Job
        )
        total += pods * per_pod
    assert total <= max_connections - RESERVED_CONNECTIONS, (total, max_connections)


def test_production_postgres_keeps_three_instances_apart(rendered: dict[str, Any]) -> None:
    spec = rendered["prod"].get("Cluster", "crm-pg")["spec"]
    assert spec["instances"] >= 3
    assert spec["affinity"]["enablePodAntiAffinity"] is True
    assert spec["bootstrap"]["initdb"]["dataChecksums"] is True
    assert "walStorage" in spec
