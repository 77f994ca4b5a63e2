"""Wiring of the notify service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notify import api, handlers, store
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8003


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = settings or load_settings("notify", PORT)
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("main", handlers.make_handlers(rt))
    app = rt.app(title="Hadir notify", description="Reminders, overdue notices and the delivery log")
    app.include_router(api.build_router(rt))
    return app, rt
