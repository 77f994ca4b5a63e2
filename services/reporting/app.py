"""Wiring of the reporting service."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.reporting import api, projections, store
from services.reporting.scheduler import WindowScheduler
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8004


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = settings or load_settings("reporting", PORT)
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("projections", projections.HANDLERS)
    scheduler = WindowScheduler(
        rt,
        interval=float(os.environ.get("HADIR_REPORTING_SCAN_SECONDS", "5")),
        settle=timedelta(seconds=float(os.environ.get("HADIR_REPORTING_SETTLE_SECONDS", "10"))),
        due_soon_before=timedelta(minutes=float(os.environ.get("HADIR_REPORTING_DUE_SOON_MINUTES", "15"))),
    )
    rt.loop("window-scheduler", scheduler.run)
    app = rt.app(title="Hadir reporting", description="Expected versus received check-ins, overdue and reports")
    app.include_router(api.build_router(rt))
    return app, rt
