"""The provisioned Grafana dashboard: well formed, valid PromQL, on the metrics the services expose."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import FASTSTREAM, GRAFANA, HADIR_METRICS, metric_names, promtool, run

DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Grafana's variables, replaced by something PromQL accepts before promtool parses a query.
VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h", "$service": ".*", "$tenant": ".*"}


def _dashboard() -> dict[str, Any]:
    return json.loads((GRAFANA / "dashboards" / "hadir-overview.json").read_text(encoding="utf-8"))


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in _panels(dashboard) for t in p.get("targets", [])]


def test_provisioning_points_at_the_dashboards_and_the_datasource() -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    [source] = datasources["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == "hadir-prometheus"
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "hadir.yaml").read_text())
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == "/var/lib/grafana/dashboards/hadir"
    variable = next(v for v in _dashboard()["templating"]["list"] if v["name"] == "datasource")
    assert variable["current"]["value"] == source["uid"]
    assert DASHBOARDS == [GRAFANA / "dashboards" / "hadir-overview.json"]


def test_dashboard_structure() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "hadir-overview" and dashboard["title"]
    panels = _panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
    titles = [p["title"] for p in panels if p["type"] != "row"]
    assert len(titles) == len(set(titles))


def test_dashboard_shows_what_operators_need() -> None:
    used: set[str] = set()
    for _, expr in _queries(_dashboard()):
        used |= metric_names(expr)
    wanted = {
        "hadir_http_requests_total",  # rate and errors per service
        "hadir_http_request_duration_seconds_bucket",  # latency
        "hadir_consumer_lag",  # per group
        "hadir_outbox_backlog",
        "hadir_dead_letters_total",
        "hadir_overdue_emitted_total",  # per tenant (its opaque reference)
        "hadir_notifications_total",  # by channel and status
        "hadir_ready",
    }
    assert wanted <= used, f"missing from the dashboard: {sorted(wanted - used)}"
    groupings = " ".join(expr for _, expr in _queries(_dashboard()))
    for clause in ("by (service)", "by (group)", "by (tenant_ref)", "by (channel, status)"):
        assert clause in groupings, clause


def test_dashboard_queries_only_metrics_the_services_expose() -> None:
    for title, expr in _queries(_dashboard()):
        for name in metric_names(expr):
            assert name in HADIR_METRICS or FASTSTREAM.match(name) or name == "up", f"{title}: unknown metric {name}"


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every query (as a recording rule), Grafana variables substituted."""
    binary = promtool()
    rules = []
    dashboard = _dashboard()
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            assert re.fullmatch(r"label_values\((.+), \w+\)", variable["definition"]), variable["name"]
    for i, (title, expr) in enumerate(_queries(dashboard)):
        for name, value in VARIABLES.items():
            expr = expr.replace(name, value)
        assert "$" not in expr, f"{title}: unknown variable in {expr}"
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run(binary, "check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_plain_json(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) and text.endswith("\n")
    assert '"__inputs"' not in text, "export without 'for sharing externally': provisioning cannot fill inputs"
