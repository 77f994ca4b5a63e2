"""Alert rules: valid for promtool, unit-tested firing and not firing, bilingual, on real metrics."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.contracts.asyncapi import PARTICIPANTS
from tests.deploy.support import (
    HADIR_METRICS,
    PROMETHEUS,
    REPO,
    RULES_FILE,
    SCRAPE_LABELS,
    metric_names,
    promtool,
    run,
)

UNIT_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
RUNBOOK = REPO / "docs" / "runbook.md"


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES_FILE.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


ALERTS = [r for r in _rules() if "alert" in r]
RECORDS = {r["record"] for r in _rules() if "record" in r}


def test_promtool_check_rules() -> None:
    result = run(promtool(), "check", "rules", RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config_finds_the_rules() -> None:
    result = run(promtool(), "check", "config", PROMETHEUS / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    assert UNIT_TESTS, "no deploy/prometheus/tests/*.test.yml"
    result = run(promtool(), "test", "rules", *UNIT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_catch_a_broken_rule(tmp_path: Path) -> None:
    """The unit tests are not vacuous: an alert with the wrong threshold fails them."""
    binary = promtool()
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    broken = RULES_FILE.read_text().replace("> 0.05", "> 0.5")
    assert broken != RULES_FILE.read_text()
    (tmp_path / "rules" / RULES_FILE.name).write_text(broken)
    for test in UNIT_TESTS:
        shutil.copy(test, tmp_path / "tests" / test.name)
    result = run(binary, "test", "rules", *sorted((tmp_path / "tests").glob("*.yml")))
    assert result.returncode != 0
    assert "HadirHighErrorRate" in result.stdout + result.stderr


def _alert_tests() -> list[dict[str, Any]]:
    cases = []
    for path in UNIT_TESTS:
        document = yaml.safe_load(path.read_text())
        assert document["rule_files"] == ["../rules/hadir.rules.yml"], path.name
        for test in document["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_every_alert_is_unit_tested_firing_and_not_firing(alert: dict[str, Any]) -> None:
    cases = [c for c in _alert_tests() if c["alertname"] == alert["alert"]]
    assert any(c.get("exp_alerts") for c in cases), f"{alert['alert']}: no test where it fires"
    assert any(not c.get("exp_alerts") for c in cases), f"{alert['alert']}: no test where it stays quiet"


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_every_alert_has_severity_bilingual_annotations_and_a_runbook(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in {"warning", "critical"}
    annotations = alert["annotations"]
    assert {"summary", "summary_id", "description", "runbook_url"} <= set(annotations)
    assert annotations["summary"] != annotations["summary_id"]
    anchor = annotations["runbook_url"].split("#", 1)[1]
    assert annotations["runbook_url"] == f"docs/runbook.md#{anchor}"
    headings = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}
    assert anchor in headings, f"docs/runbook.md has no section for {alert['alert']}"


def test_rules_query_only_metrics_the_services_expose() -> None:
    for rule in _rules():
        for name in metric_names(rule["expr"]):
            assert name in HADIR_METRICS or name in RECORDS or name == "up", f"{rule}: unknown metric {name}"


def test_rules_group_by_labels_the_metrics_have() -> None:
    known = SCRAPE_LABELS | {label for labels in HADIR_METRICS.values() for label in labels}
    for rule in _rules():
        for clause in re.findall(r"\b(?:by|on|without)\s*\(([^)]*)\)", rule["expr"]):
            for label in filter(None, (part.strip() for part in clause.split(","))):
                assert label in known, f"{rule.get('alert') or rule.get('record')}: unknown label {label}"


def test_service_down_knows_every_service() -> None:
    expr = next(a["expr"] for a in ALERTS if a["alert"] == "HadirServiceDown")
    assert set(re.findall(r'absent\(up\{job="hadir", service="(\w+)"\}\)', expr)) == {p.service for p in PARTICIPANTS}


@pytest.mark.parametrize("service", [p.service for p in PARTICIPANTS])
def test_the_metrics_rules_need_are_registered_by_the_services(service: str) -> None:
    """Every hadir_* metric the rules and dashboards query exists in the service's registry."""
    _, rt = importlib.import_module(f"services.{service}.app").build()
    try:
        exposed = {m.name for m in rt.registry.collect()}
    finally:
        rt.engine.sync_engine.dispose()
    per_service = {"hadir_notifications_total": {"notify"}, "hadir_overdue_emitted_total": {"reporting"},
                   "hadir_reporting_forced_closures_total": {"reporting"},
                   "hadir_reporting_held_closures": {"reporting"}}
    for name in HADIR_METRICS:
        if service not in per_service.get(name, {service}):
            continue
        base = re.sub(r"(_total|_bucket)$", "", name)
        assert base in exposed, f"{service} does not register {name}"
