"""Wiring of the policy service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.contracts.events import CheckinReceived
from services.policy import directory_api, evaluator, policy_api, store
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8002


def build(settings: Settings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = settings or load_settings("policy", PORT)
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("evaluator", {CheckinReceived: evaluator.make_handler(rt)})
    app = rt.app(title="Hadir policy",
                 description="Directory, circular letters (Surat Edaran), rosters and check-in evaluation")
    app.include_router(directory_api.build_router(rt))
    app.include_router(policy_api.build_router(rt))
    return app, rt
