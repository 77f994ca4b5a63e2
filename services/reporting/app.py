"""Wiring of the reporting service (its settings: :mod:`services.reporting.settings`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.reporting import api, handlers, store, web
from services.reporting.metrics import ReportingMetrics
from services.reporting.scheduler import WindowScheduler
from services.reporting.settings import ReportingSettings
from services.runtime.metrics import TenantRefs
from services.runtime.retention import schedule as schedule_retention
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8004

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = ReportingSettings.of(settings or load_settings("reporting", PORT))
    rt = ServiceRuntime(settings, store.Base.metadata, MIGRATIONS)
    metrics = ReportingMetrics(rt.registry, TenantRefs(settings.tenant_refs_key()))
    scheduler = WindowScheduler(
        rt,
        interval=settings.reporting_scan_seconds,
        settle=timedelta(seconds=settings.reporting_settle_seconds),
        due_soon_before=timedelta(minutes=settings.reporting_due_soon_minutes),
        max_hold=timedelta(seconds=settings.reporting_closure_max_hold_seconds),
        lookback_days=settings.reporting_lookback_days,
        metrics=metrics,
        metrics_every=settings.reporting_metrics_seconds,
    )
    rt.consume("projections", handlers.subscriptions(rt), after_commit=scheduler.wake)
    rt.loop("window-scheduler", scheduler.run)
    job = schedule_retention(rt, store.Tenant.__table__, [])  # its outbox's sent events
    app = rt.app(title="Hadir reporting",
                 description="Expected versus received check-ins, overdue, daily and monthly reports, "
                             "discipline scores, verification and the national view")
    for router in api.ROUTERS:
        app.include_router(router)
    app.include_router(web.router)  # the dashboard of unit heads and the agency
    app.state.retention = job
    return app, rt
