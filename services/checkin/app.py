"""Wiring of the check-in service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.checkin import api, handlers, retention, store, web
from services.checkin.directory import Directory
from services.checkin.marks import ReceivedMarks
from services.checkin.schemas import MAX_BATCH_BYTES
from services.checkin.settings import CheckinSettings
from services.checkin.submission import Acceptance
from services.runtime.retention import schedule as schedule_retention
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8001


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = CheckinSettings.of(settings or load_settings("checkin", PORT))
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("main", handlers.subscriptions(rt))
    rt.stamp(ReceivedMarks())
    rt.body_limits.allow("/v1/checkins/batch", MAX_BATCH_BYTES)
    job = schedule_retention(rt, store.DirectoryTenant.__table__, retention.REDUCERS)
    app = rt.app(title="Hadir check-in", description="Check-ins of civil servants working from home")
    app.state.retention = job
    app.state.acceptance = rt.group_commit(Acceptance(Directory(), rt.outbox, rt.source).apply)
    for router in api.ROUTERS:
        app.include_router(router)
    app.include_router(web.router)
    return app, rt
