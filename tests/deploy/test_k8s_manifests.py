"""Kubernetes manifests (deploy/k8s): built offline and checked for structure.

The overlay is rendered by a small Kustomize subset written here (resources, components, namespace,
images, strategic-merge patches), so the checks run on any machine; where `kubectl` or `kustomize` is
installed the real build must give the same resources.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.contracts import topics
from services.contracts.asyncapi import PARTICIPANTS
from tests.deploy.support import K8S, RULES_FILE

Resource = dict[str, Any]
OVERLAY = K8S / "overlays" / "production"
BASE = K8S / "base"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass"}
HOME_MADE = {"StatefulSet", "DaemonSet"}  # Kafka and PostgreSQL come from their operators
SERVICES = {p.service: p for p in PARTICIPANTS}


# --- a Kustomize subset --------------------------------------------------------------------


def _kustomization(directory: Path) -> dict[str, Any]:
    return yaml.safe_load((directory / "kustomization.yaml").read_text())


def _load(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def build(directory: Path) -> list[Resource]:
    spec = _kustomization(directory)
    resources: list[Resource] = []
    for entry in spec.get("resources", []) + spec.get("components", []):
        target = (directory / entry).resolve()
        resources.extend(build(target) if target.is_dir() else _load(target))
    for patch in spec.get("patches", []):
        for change in _load(directory / patch["path"]):
            _apply_patch(resources, change)
    if "namespace" in spec:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        for container in _containers(resources):
            name, _, _ = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    return resources


def _apply_patch(resources: list[Resource], change: Resource) -> None:
    matches = [r for r in resources if r["kind"] == change["kind"]
               and r["metadata"]["name"] == change["metadata"]["name"]]
    assert len(matches) == 1, f"patch target {change['kind']}/{change['metadata']['name']} not found once"
    builtin = "." not in change["apiVersion"].split("/")[0] or change["apiVersion"].startswith(
        ("apps/", "autoscaling/", "policy/"))
    _merge(matches[0], change, by_name=builtin)


def _merge(target: dict[str, Any], change: dict[str, Any], *, by_name: bool) -> None:
    """Strategic merge as Kustomize does it for our patches: maps merge, named lists of built-in
    kinds (containers, env, volumes) merge by name, any other list is replaced (JSON merge patch)."""
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, by_name=by_name)
        elif by_name and isinstance(value, list) and isinstance(target.get(key), list) \
                and all(isinstance(i, dict) and "name" in i for i in value + target[key]):
            for item in value:
                existing = next((t for t in target[key] if t["name"] == item["name"]), None)
                if existing is None:
                    target[key].append(copy.deepcopy(item))
                else:
                    _merge(existing, item, by_name=by_name)
        else:
            target[key] = copy.deepcopy(value)


def _containers(resources: list[Resource]) -> list[dict[str, Any]]:
    return [c for r in resources if r["kind"] == "Deployment" for c in r["spec"]["template"]["spec"]["containers"]]


def _kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def _key(r: Resource) -> tuple[str, str, str]:
    return r["kind"], r["metadata"].get("namespace", ""), r["metadata"]["name"]


@pytest.fixture(scope="module")
def rendered() -> list[Resource]:
    return build(OVERLAY)


def _of(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


# --- the build -------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", [BASE, OVERLAY, K8S / "components" / "monitoring"],
                         ids=lambda d: str(d.relative_to(K8S)))
def test_every_listed_file_exists(directory: Path) -> None:
    spec = _kustomization(directory)
    listed = spec.get("resources", []) + spec.get("components", []) + [p["path"] for p in spec.get("patches", [])]
    assert listed
    for entry in listed:
        target = directory / entry
        assert target.exists(), f"{directory.relative_to(K8S)}/kustomization.yaml lists missing {entry}"
        if target.is_dir():
            assert (target / "kustomization.yaml").exists(), entry


def test_every_manifest_file_is_listed() -> None:
    listed: set[Path] = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in spec.get("resources", []) + [p["path"] for p in spec.get("patches", [])]:
            listed.add((kustomization.parent / entry).resolve())
    for manifest in K8S.rglob("*.yaml"):
        if manifest.name != "kustomization.yaml":
            assert manifest.resolve() in listed, f"{manifest.relative_to(K8S)} is not used by any kustomization"


def test_resources_are_unique_and_namespaced(rendered: list[Resource]) -> None:
    keys = [_key(r) for r in rendered]
    assert len(keys) == len(set(keys)), "duplicate resources"
    for r in rendered:
        if r["kind"] not in CLUSTER_SCOPED:
            assert r["metadata"]["namespace"] == "hadir", _key(r)
    assert not [r for r in rendered if r["kind"] in HOME_MADE], "use the operators, not home-made StatefulSets"


def test_real_kustomize_build_matches() -> None:
    """Where kubectl/kustomize exists, its build is the one the checks below looked at."""
    command = _kustomize_command()
    if command is None:  # nothing to compare with here; the subset above still built the overlay
        assert build(OVERLAY)
        return
    result = subprocess.run([*command, str(OVERLAY)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    real = {_key(r): r for r in yaml.safe_load_all(result.stdout) if r}
    ours = {_key(r): r for r in build(OVERLAY)}
    assert set(real) == set(ours)
    for key, resource in ours.items():
        assert real[key] == resource, f"{key} differs between {' '.join(command)} and the test's build"


# --- the services ------------------------------------------------------------------------------


def test_one_deployment_per_service_all_from_one_image(rendered: list[Resource]) -> None:
    assert set(_of(rendered, "Deployment")) == set(SERVICES)
    assert {c["image"] for c in _containers(build(BASE))} == {"hadir:0.1.0"}
    assert len({c["image"] for c in _containers(rendered)}) == 1


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_deployment_runs_the_service_with_probes_and_resources(rendered: list[Resource], service: str) -> None:
    deployment = _of(rendered, "Deployment")[service]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert re.fullmatch(r"(.+/)?hadir:[\w.\-]+", container["image"]), container["image"]
    assert container["command"] == ["python", "-m", f"services.{service}"]
    port = container["ports"][0]["containerPort"]
    env = {e["name"]: e for e in container["env"]}
    assert env["HADIR_PORT"]["value"] == str(port)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in {"http", port}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{service}: {kind}"
    assert deployment["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"][
        "labels"].items()
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns replicas"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_deployment_takes_its_settings_from_the_configmap_and_secrets(rendered: list[Resource], service: str) -> None:
    [container] = _of(rendered, "Deployment")[service]["spec"]["template"]["spec"]["containers"]
    config_maps, secrets = _of(rendered, "ConfigMap"), _of(rendered, "Secret")
    sources = container["envFrom"]
    assert {"configMapRef": {"name": "hadir-config"}} in sources
    for source in sources:
        if "configMapRef" in source:
            assert source["configMapRef"]["name"] in config_maps
        else:
            assert source["secretRef"]["name"] in secrets
    assert all(key.startswith(("HADIR_", "PG")) for key in config_maps["hadir-config"]["data"])
    for variable in container["env"]:
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["key"] in secrets[ref["name"]]["stringData"], ref
    for volume in _of(rendered, "Deployment")[service]["spec"]["template"]["spec"]["volumes"]:
        if "configMap" in volume:
            assert volume["configMap"]["name"] in config_maps


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_service_hpa_and_pdb_select_the_deployment(rendered: list[Resource], service: str) -> None:
    deployment = _of(rendered, "Deployment")[service]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    svc = _of(rendered, "Service")[service]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert svc["spec"]["ports"][0]["port"] == container["ports"][0]["containerPort"]
    hpa = _of(rendered, "HorizontalPodAutoscaler")[service]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    pdb = _of(rendered, "PodDisruptionBudget")[service]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], "a drain must be able to evict one pod"


# --- Kafka (Strimzi) and partitions versus replicas -------------------------------------------------


def _topics(rendered: list[Resource]) -> dict[str, Resource]:
    return {t["spec"].get("topicName", t["metadata"]["name"]): t for t in _of(rendered, "KafkaTopic").values()}


def test_kafka_is_a_strimzi_kraft_cluster(rendered: list[Resource]) -> None:
    [(name, kafka)] = _of(rendered, "Kafka").items()
    assert kafka["apiVersion"].startswith("kafka.strimzi.io/")
    pools = _of(rendered, "KafkaNodePool").values()
    assert pools and all(p["metadata"]["labels"]["strimzi.io/cluster"] == name for p in pools)
    roles = {role for p in pools for role in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}, "KRaft: node pools with controller and broker roles, no ZooKeeper"
    assert "zookeeper" not in kafka["spec"]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    config = _of(rendered, "ConfigMap")["hadir-config"]["data"]
    assert config["HADIR_KAFKA_BOOTSTRAP_SERVERS"] == f"{name}-kafka-bootstrap:9092"
    assert int(config["HADIR_TOPIC_REPLICATION"]) <= brokers
    for topic in _topics(rendered).values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == name
        assert topic["spec"]["replicas"] <= brokers
        assert int(topic["spec"]["config"]["min.insync.replicas"]) < topic["spec"]["replicas"], (
            "acks=all producers must survive one broker down")


def test_every_topic_and_dead_letter_topic_is_a_kafkatopic(rendered: list[Resource]) -> None:
    wanted = set(topics.ALL) | {topics.dead_letter_topic(p.group) for p in PARTICIPANTS}
    assert set(_topics(rendered)) == wanted


def test_topic_configs_are_the_ones_the_services_create_topics_with(rendered: list[Resource]) -> None:
    """Compaction and retention have one source (``topics.config_of``, what ``ensure_topics`` creates
    topics with); the manifests only add what belongs to the cluster (``min.insync.replicas``)."""
    for name, topic in _topics(rendered).items():
        config = {k: str(v) for k, v in topic["spec"]["config"].items() if k != "min.insync.replicas"}
        assert config == topics.config_of(name), f"{name}: topics.yaml and services/contracts/topics.py disagree"
    assert _topics(rendered)[topics.DIRECTORY_CONTACTS]["spec"]["config"]["cleanup.policy"] == "compact"


def test_topic_partitions_match_the_services_setting(rendered: list[Resource]) -> None:
    partitions = int(_of(rendered, "ConfigMap")["hadir-config"]["data"]["HADIR_TOPIC_PARTITIONS"])
    assert {t["spec"]["partitions"] for t in _topics(rendered).values()} == {partitions}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_hpa_max_replicas_at_most_the_partitions_of_consumed_topics(rendered: list[Resource], service: str) -> None:
    """Replicas beyond a topic's partition count get no partition: their consumers idle."""
    consumed = {cls.TOPIC for cls in SERVICES[service].receives}
    assert consumed
    by_name = _topics(rendered)
    ceiling = min(by_name[t]["spec"]["partitions"] for t in consumed)
    hpa = _of(rendered, "HorizontalPodAutoscaler")[service]
    assert hpa["spec"]["maxReplicas"] <= ceiling, (
        f"{service}: maxReplicas {hpa['spec']['maxReplicas']} > {ceiling} partitions of {sorted(consumed)}")


# --- PostgreSQL (CloudNativePG): one database and one role per service ------------------------------


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_has_its_own_database_and_role(rendered: list[Resource], service: str) -> None:
    [(cluster_name, cluster)] = _of(rendered, "Cluster").items()
    assert cluster["apiVersion"].startswith("postgresql.cnpg.io/")
    [container] = _of(rendered, "Deployment")[service]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    url = env[f"HADIR_{service.upper()}_DATABASE_URL"]["value"]
    match = re.fullmatch(r"postgresql\+asyncpg://(\w+)@([\w-]+):5432/(\w+)", url)
    assert match, url
    role, host, database = match.groups()
    assert host == f"{cluster_name}-rw"
    [db] = [d for d in _of(rendered, "Database").values() if d["spec"]["name"] == database]
    assert db["spec"]["owner"] == role and db["spec"]["cluster"]["name"] == cluster_name
    [managed] = [r for r in cluster["spec"]["managed"]["roles"] if r["name"] == role]
    secret_name = env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"]
    assert managed["passwordSecret"]["name"] == secret_name
    secret = _of(rendered, "Secret")[secret_name]
    assert secret["type"] == "kubernetes.io/basic-auth" and secret["stringData"]["username"] == role
    others = {d["spec"]["owner"] for d in _of(rendered, "Database").values()} - {role}
    assert role not in others and len(others) == len(SERVICES) - 1


# --- monitoring ---------------------------------------------------------------------------------------


def test_prometheus_rule_is_the_rules_file(rendered: list[Resource]) -> None:
    rule = _of(rendered, "PrometheusRule")["hadir"]
    source = yaml.safe_load(RULES_FILE.read_text())
    assert rule["spec"]["groups"] == source["groups"], (
        "run .venv/bin/python deploy/k8s/components/monitoring/sync_rules.py")


def test_service_monitor_labels_targets_like_the_rules_expect(rendered: list[Resource]) -> None:
    monitor = _of(rendered, "ServiceMonitor")["hadir"]
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
    assert {"targetLabel": "job", "replacement": "hadir", "action": "replace"} in endpoint["relabelings"]
    selected = {v for e in monitor["spec"]["selector"]["matchExpressions"]
                if e["key"] == "app.kubernetes.io/name" for v in e["values"]}
    assert selected == set(SERVICES) == set(_of(rendered, "Service"))
