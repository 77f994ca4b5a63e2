"""Shared by the deploy tests: paths, promtool, and the metric names the services expose."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from tests.support import infra

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULES_FILE = PROMETHEUS / "rules" / "hadir.rules.yml"
GRAFANA = DEPLOY / "grafana"
K8S = DEPLOY / "k8s"

# What rules and dashboards may query: the services' metrics, as the lead fixed them
# (tests/deploy/test_prometheus_rules.py checks them against the services' registries too),
# FastStream's, and Prometheus' own `up`.
HADIR_METRICS = {
    "hadir_http_requests_total": {"method", "route", "status"},
    "hadir_http_request_duration_seconds_bucket": {"method", "route", "le"},
    "hadir_outbox_backlog": set(),
    "hadir_outbox_publish_failures_total": set(),
    "hadir_outbox_published_total": {"topic"},
    "hadir_outbox_parked_total": {"topic"},
    "hadir_http_refused_total": {"reason"},
    "hadir_consumer_lag": {"group", "topic", "partition"},
    "hadir_dead_letters_total": {"group", "topic"},
    "hadir_dead_letter_failures_total": {"group", "topic"},
    "hadir_events_handled_total": {"group", "type"},
    "hadir_ready": set(),
    "hadir_overdue_emitted_total": {"tenant_ref"},  # never a tenant name: /metrics is public
    "hadir_notifications_total": {"channel", "status"},
    "hadir_reporting_forced_closures_total": set(),
    "hadir_reporting_held_closures": set(),
    "hadir_retention_reduced_total": {"kind"},
    "hadir_retention_runs_total": {"outcome"},
    "hadir_retention_last_success_timestamp_seconds": set(),
}
SCRAPE_LABELS = {"job", "instance", "service"}
FASTSTREAM = re.compile(r"^faststream_[a-z_]+$")
_NAME = re.compile(
    r"(?<![\w:$\"'.])([a-z_][a-z0-9_]*:[a-z0-9_:]+|hadir_[a-z0-9_]+|faststream_[a-z0-9_]+|up)\b(?!\s*\()"
)


def metric_names(expr: str) -> set[str]:
    """Metric and recording-rule names a PromQL expression selects (label values ignored)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    return set(_NAME.findall(without_strings))


def promtool() -> str:
    """Path of promtool; without it the run fails and says how to install it."""
    path = shutil.which("promtool")
    if path is None:
        infra.unavailable("promtool", "install Debian's prometheus package (apt-get install prometheus; .ci/run does)")
    assert path is not None
    return path


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


class ProbeTarget(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``status`` and records the path: a service, as a health probe sees it."""

    status = 200
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def probe_target() -> Iterator[tuple[type[ProbeTarget], int]]:
    """A loopback HTTP server on a free port: (its handler class, to set ``status`` and read ``paths``; port)."""
    handler = type("Target", (ProbeTarget,), {"paths": [], "status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
