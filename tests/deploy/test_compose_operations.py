"""docker-compose.yml operated like production (parsed: no Docker engine here): each service is
healthy only once /readyz answers (its health check runs here against a local server), start order
follows health, every secret compose requires is written by `make up` into a .env only its owner
reads, Prometheus scrapes each service where compose serves it, Grafana is provisioned from the
repository, and tracing (an OTLP collector and Jaeger) is an optional profile."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet

from services.contracts.asyncapi import PARTICIPANTS
from tests.deploy.support import DEPLOY, GRAFANA, PROMETHEUS, REPO, probe_target

COMPOSE = REPO / "docker-compose.yml"
COLLECTOR = DEPLOY / "otel" / "collector.yaml"
COMPOSE_ENV = DEPLOY / "compose_env.py"
SERVICES = sorted(p.service for p in PARTICIPANTS)
REQUIRED = re.compile(r"\$\{([A-Z0-9_]+):\?")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def makefile_secrets() -> list[str]:
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("COMPOSE_SECRETS :="))
    return line.split(":=", 1)[1].split()


def mount_targets(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host source of a service's bind mounts (``./...`` sources)."""
    specs = [spec.split(":") for spec in service.get("volumes", []) if spec.startswith("./")]
    return {target: source for source, target, *_ in specs}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency -> condition, for both compose forms (a list means ``service_started``)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_is_healthy_only_once_ready(compose: dict[str, Any], name: str) -> None:
    """Its health check, run here with the service's HADIR_PORT pointing at a local server."""
    service = compose["services"][name]
    check = service["healthcheck"]
    assert check["test"][0] == "CMD" and check["test"][1] == "python", check["test"]
    with probe_target() as (target, port):
        env = {**os.environ, "HADIR_PORT": str(port)}
        run = [sys.executable, *check["test"][2:]]
        assert subprocess.run(run, env=env, timeout=30).returncode == 0
        target.status = 503
        assert subprocess.run(run, env=env, timeout=30, capture_output=True).returncode != 0
    assert target.paths == ["/readyz", "/readyz"]
    assert service["environment"]["HADIR_PORT"] in {p.split(":")[1] for p in service["ports"]}


def test_start_order_follows_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in SERVICES:
        assert services[name]["depends_on"] == {
            "kafka": {"condition": "service_healthy"}, "postgres": {"condition": "service_healthy"},
            "keys": {"condition": "service_completed_successfully"}}
    assert services["prometheus"]["depends_on"] == {name: {"condition": "service_healthy"} for name in SERVICES}
    assert services["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    awaited = {dep for s in services.values() for dep, c in depends_on(s).items() if c == "service_healthy"}
    unchecked = [n for n in sorted(awaited) if "test" not in services[n].get("healthcheck", {})]
    assert unchecked == [], "awaited as healthy without a health check"


def test_make_up_writes_every_secret_compose_requires(compose: dict[str, Any]) -> None:
    required = set(REQUIRED.findall(COMPOSE.read_text()))
    assert required, "compose requires no secret?"
    assert sorted(required - set(makefile_secrets())) == []
    grafana = compose["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${HADIR_GRAFANA_ADMIN_PASSWORD:?")


def test_the_env_file_is_owner_only_and_keeps_its_values(tmp_path: Path) -> None:
    """As `make up` runs it: a world-readable .env of an older checkout is tightened to 0600, its
    values are kept, the names it lacks are added; a *_KEYS value is a Fernet key."""
    env = tmp_path / ".env"
    env.write_text("HADIR_POSTGRES_PASSWORD=kept\n")
    env.chmod(0o644)
    names = makefile_secrets()
    subprocess.run([sys.executable, str(COMPOSE_ENV), str(env), *names], check=True, timeout=30, capture_output=True)
    first = dict(line.split("=", 1) for line in env.read_text().splitlines())
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert sorted(first) == sorted(names) and first["HADIR_POSTGRES_PASSWORD"] == "kept"
    assert all(len(v) >= 24 for n, v in first.items() if n != "HADIR_POSTGRES_PASSWORD")
    Fernet(first["HADIR_NOTIFY_SECRET_KEYS"].encode())
    subprocess.run([sys.executable, str(COMPOSE_ENV), str(env), *names], check=True, timeout=30, capture_output=True)
    assert dict(line.split("=", 1) for line in env.read_text().splitlines()) == first
    fresh = tmp_path / "fresh.env"
    subprocess.run([sys.executable, str(COMPOSE_ENV), str(fresh), *names], check=True, timeout=30, capture_output=True)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_prometheus_scrapes_each_service_where_compose_serves_it(compose: dict[str, Any]) -> None:
    services = compose["services"]
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:{services[name]['environment']['HADIR_PORT']}" for name in SERVICES}
    mounts = mount_targets(services["prometheus"])
    assert mounts["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/rules"] == "./deploy/prometheus/rules"


def test_grafana_is_provisioned_from_the_repository(compose: dict[str, Any]) -> None:
    mounts = mount_targets(compose["services"]["grafana"])
    provisioning = GRAFANA / "provisioning"
    for kind in ("datasources", "dashboards"):
        assert mounts[f"/etc/grafana/provisioning/{kind}"] == f"./deploy/grafana/provisioning/{kind}"
    provider = yaml.safe_load((provisioning / "dashboards" / "hadir.yaml").read_text())["providers"][0]
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    datasource = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())["datasources"][0]
    url = urlsplit(datasource["url"])
    assert url.hostname == "prometheus" and f"{url.port}:{url.port}" in compose["services"]["prometheus"]["ports"]


def test_tracing_is_an_optional_profile(compose: dict[str, Any]) -> None:
    """Collector and Jaeger start only with ``--profile tracing``; nothing else waits for them; the
    services' exporter endpoint is empty (tracing off) unless set, and `make up-tracing` sets it to
    the collector's OTLP/HTTP receiver."""
    services = compose["services"]
    tracing = {n for n, s in services.items() if "tracing" in s.get("profiles", [])}
    assert tracing == {"otel-collector", "jaeger"}
    assert [n for n, s in services.items() if n not in tracing and set(depends_on(s)) & tracing] == []
    for name in SERVICES:
        assert services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"
    up_tracing = re.search(r"OTEL_EXPORTER_OTLP_ENDPOINT=(\S+) docker compose --profile tracing up",
                           (REPO / "Makefile").read_text())
    assert up_tracing, "make up-tracing does not set the endpoint"
    endpoint = urlsplit(up_tracing[1])
    collector = yaml.safe_load(COLLECTOR.read_text())
    http_receiver = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert endpoint.hostname == "otel-collector" and http_receiver.endswith(f":{endpoint.port}")
    assert mount_targets(services["otel-collector"]) == {"/etc/otelcol/collector.yaml": "./deploy/otel/collector.yaml"}
    assert "--config=/etc/otelcol/collector.yaml" in services["otel-collector"]["command"]


def test_the_collector_pipeline_sends_traces_to_jaeger(compose: dict[str, Any]) -> None:
    collector = yaml.safe_load(COLLECTOR.read_text())
    pipeline = collector["service"]["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert pipeline[kind] and set(pipeline[kind]) <= set(collector[kind]), kind
    assert set(collector["service"].get("extensions", [])) <= set(collector.get("extensions", {}))
    exporters = [collector["exporters"][e] for e in pipeline["exporters"]]
    assert [e["endpoint"] for e in exporters] == ["jaeger:4317"]
    assert "tracing" in compose["services"]["jaeger"]["profiles"]
