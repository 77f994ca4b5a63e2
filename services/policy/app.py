"""Wiring of the policy service."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.policy import api, backfill, handlers, retention, store
from services.policy.domain import csv_import
from services.policy.marks import EvaluatedMarks
from services.policy.roster_jobs import RosterJobWorker
from services.policy.scheduler import LetterScheduler
from services.policy.settings import PolicySettings
from services.runtime import page_cors
from services.runtime.retention import schedule as schedule_retention
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8002
DESCRIPTION = """Directory (governments, units, employees), circular letters (Surat Edaran) and their
versions, rosters (WFO/WFH), and the evaluation of every check-in.

Roles: `tenant_admin` (the personnel agency, BKD/BKPSDM) writes the directory and the rules;
`unit_head` generates and overrides the rosters of their own unit and reads its employees;
`employee` reads their own roster and record. Errors are `{"detail": [{"loc", "msg", "type"}]}`, the
message in Bahasa Indonesia, or in English with `Accept-Language: en`; input errors name each bad
field in `loc`."""


def build(settings: Settings | None = None, *,
          scheduler_seconds: float | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = PolicySettings.of(settings or load_settings("policy", PORT))
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")
    rt.consume("evaluator", handlers.subscriptions(rt))
    rt.stamp(EvaluatedMarks())
    interval = scheduler_seconds or settings.policy_scheduler_seconds
    rt.loop("letter-scheduler", LetterScheduler(rt, interval).run)
    rt.loop("directory-backfill", partial(backfill.run, rt))
    roster_jobs = RosterJobWorker(rt, interval)
    rt.loop("roster-jobs", roster_jobs.run)
    job = schedule_retention(rt, store.Tenant.__table__, retention.reducers(rt))
    # CSV uploads: the route itself answers file_too_large above csv_import.MAX_BYTES; beyond the margin, this.
    rt.body_limits.allow("/v1/imports/", csv_import.MAX_BYTES + 2**20)
    app = rt.app(title="Hadir policy", description=DESCRIPTION)
    app.state.retention = job
    app.state.roster_jobs = roster_jobs
    for router in api.ROUTERS:
        app.include_router(router)
    page_cors.install(app, settings, "/v1/me/places", "/v1/me/absences")  # read by the check-in page
    return app, rt
