"""Notify's delivery parts in the test's own process on a real PostgreSQL database: a
runtime on a migrated database, rows of the delivery log and webhook subscriptions, so
that tests can drive the delivery loop and the channels directly."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import services.notify
from services.notify.domain import signing
from services.notify.sealing import SecretBox
from services.notify.store import Base, Notification, WebhookSecret, WebhookSubscription
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


async def subscribe(rt: ServiceRuntime, box: SecretBox, tenant: str, url: str,
                    stored: Sequence[str] | None = None) -> str:
    """A subscription to every event type with one fresh secret sealed by ``box``, or with the
    ``stored`` values as they are (legacy plaintext, another key's tokens); its id."""
    now = datetime.now(UTC)
    values = list(stored) if stored is not None else [box.seal(signing.new_secret())]
    async with rt.sessions() as session, session.begin():
        session.add(sub := WebhookSubscription(id=str(uuid.uuid4()), tenant=tenant, url=url, event_types=["*"],
                                               description="", active=True, created_by="test", created_at=now,
                                               updated_at=now))
        await session.flush()
        session.add_all([WebhookSecret(subscription_id=sub.id, secret=value, created_at=now) for value in values])
    return sub.id
