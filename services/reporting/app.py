"""Wiring of the reporting service.

Environment (besides the common ``HADIR_*`` settings):

- ``HADIR_REPORTING_SCAN_SECONDS`` (5): how often the scheduler looks at the windows;
- ``HADIR_REPORTING_SETTLE_SECONDS`` (10): how long after a deadline a window closes,
  so check-ins captured before it can arrive;
- ``HADIR_REPORTING_DUE_SOON_MINUTES`` (15): ``report.due_soon`` this long before the
  deadline (0: never);
- ``HADIR_REPORTING_LOOKBACK_DAYS`` (3): how many past days a restarted instance
  catches up on;
- ``HADIR_REPORTING_METRICS_SECONDS`` (15): how often the gauges are recomputed;
- ``HADIR_REPORTING_SCORE_WEIGHTS``: default discipline-score weights (JSON).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.reporting import api, projections, store
from services.reporting.metrics import ReportingMetrics
from services.reporting.scheduler import WindowScheduler
from services.reporting.web import build_web_router
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8004


def _env(name: str, default: str) -> float:
    return float(os.environ.get(f"HADIR_REPORTING_{name}", default))


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = settings or load_settings("reporting", PORT)
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("projections", projections.HANDLERS)
    metrics = ReportingMetrics(rt.registry)
    scheduler = WindowScheduler(
        rt,
        interval=_env("SCAN_SECONDS", "5"),
        settle=timedelta(seconds=_env("SETTLE_SECONDS", "10")),
        due_soon_before=timedelta(minutes=_env("DUE_SOON_MINUTES", "15")),
        lookback_days=int(_env("LOOKBACK_DAYS", "3")),
        metrics=metrics,
        metrics_every=_env("METRICS_SECONDS", "15"),
    )
    rt.loop("window-scheduler", scheduler.run)
    app = rt.app(title="Hadir reporting",
                 description="Expected versus received check-ins, overdue, daily and monthly reports, "
                             "discipline scores, verification and the national view")
    app.include_router(api.build_router(rt))
    app.include_router(build_web_router(rt))  # the dashboard of unit heads and the agency
    return app, rt
