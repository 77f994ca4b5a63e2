"""Notify's delivery parts in the test's own process on a real PostgreSQL database: a
runtime on a migrated database and rows of the delivery log, so that tests can drive
the delivery loop and the channels directly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import services.notify
from services.notify.store import Base, Notification
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

MIGRATIONS = Path(services.notify.__file__).parent / "migrations"


def runtime(url: str) -> ServiceRuntime:
    return ServiceRuntime(Settings(service="notify", database_url=url, kafka_bootstrap_servers="127.0.0.1:9"),
                          Base.metadata, MIGRATIONS)


def row(tenant: str, channel: str = "webhook", **overrides: object) -> Notification:
    """A due ``pending`` row of the delivery log."""
    now = datetime.now(UTC)
    values: dict[str, object] = dict(
        id=str(uuid.uuid4()), tenant=tenant, source_event_id=str(uuid.uuid4()),
        source_event_type="hadir.report.overdue.v1", kind="overdue", occurrence="", recipient="198001012005010001",
        unit_id="bkd", channel=channel, address="x", language="id", subject="s", body="{}", status="pending",
        attempts=0, next_attempt_at=now - timedelta(seconds=1), created_at=now, updated_at=now)
    values.update(overrides)
    return Notification(**values)
