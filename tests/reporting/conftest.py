"""The reporting service's runtime on a real PostgreSQL database, without Kafka.

``reporting(url)`` builds a ``ServiceRuntime`` with the reporting schema migrated
(Alembic, as a process start does); events are applied through the very handlers
the consumer calls, in a transaction of their own (as the consumer does), and the
scheduler runs with an explicit ``now``, so every moment of a day can be staged.
A second runtime on the same database is a second reporting instance.

The fixed test day is Tuesday 10 March 2026 in Asia/Jakarta (WIB, UTC+7).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import (
    CheckinEvaluated,
    DirectoryUpdatedV2,
    EmployeeProfile,
    PolicyUpdated,
    RosterAssignment,
    RosterPublished,
    TenantRecord,
    UnitRecord,
)
from services.contracts.marks import MARK_TENANT, CheckinsEvaluatedMark
from services.contracts.policy import CheckinKind, PolicyContent, Sector, Window
from services.reporting import handlers, store
from services.reporting.app import MIGRATIONS
from services.reporting.metrics import ReportingMetrics
from services.reporting.scheduler import WindowScheduler
from services.runtime import migrations
from services.runtime.consumer import Decoded, dispatch
from services.runtime.metrics import TenantRefs
from services.runtime.outbox import envelope_for
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

DAY = date(2026, 3, 10)
METRICS_KEY = "metrics-key-of-the-tests"  # noqa: S105 — HADIR_METRICS_TENANT_KEY of the test instances
TZ = "Asia/Jakarta"
K = CheckinKind


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    """A WIB wall-clock time on the test day, as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC) - timedelta(hours=7)


def windows() -> list[Window]:
    return [
        Window(id="apel", name="Apel pagi", start=time(7, 0), end=time(7, 30), grace_minutes=15,
               kinds=[K.ATTENDANCE]),
        Window(id="lokasi", name="Lokasi pagi", start=time(8, 0), end=time(9, 0), grace_minutes=15,
               kinds=[K.LOCATION]),
    ]


def nip(i: int) -> str:
    """An 18-digit employee number (the contract checks only the shape)."""
    return str(198001012005011000 + i)


@dataclass
class Instance:
    rt: ServiceRuntime
    scheduler: WindowScheduler
    metrics: ReportingMetrics


def instance(url: str, jwks: Path | None = None, **scheduler_args: object) -> Instance:
    settings = Settings(service="reporting", database_url=url, kafka_bootstrap_servers="127.0.0.1:1",
                        jwt_jwks_file=jwks or Path("/nonexistent"), metrics_tenant_key=METRICS_KEY)
    rt = ServiceRuntime(settings, store.Base.metadata, MIGRATIONS)
    metrics = ReportingMetrics(rt.registry, TenantRefs(settings.tenant_refs_key()))
    args = {"interval": 1.0, "settle": timedelta(seconds=10), "due_soon_before": timedelta(minutes=10),
            "max_hold": timedelta(minutes=5), "lookback_days": 3, "metrics": metrics, "metrics_every": 0.0,
            **scheduler_args}
    return Instance(rt, WindowScheduler(rt, **args), metrics)  # type: ignore[arg-type]


@pytest.fixture
async def reporting(pg_url: str, dev_keys: tuple[Path, Path]) -> AsyncIterator[Instance]:
    await migrations.upgrade_async(MIGRATIONS, pg_url, store.Base.metadata)
    inst = instance(pg_url, dev_keys[1])
    await pipeline_evaluated_until(inst.rt, CAUGHT_UP)
    yield inst
    await inst.rt.engine.dispose()


async def apply(rt: ServiceRuntime, tenant: str, *events: Event, time_: datetime | None = None) -> None:
    """Apply events as the consumer does: one transaction, the real handlers."""
    items = []
    for event in events:
        env = envelope_for(event, tenant=tenant, source="/hadir/test")
        if time_ is not None:
            env = Envelope(type=env.type, source=env.source, tenant=env.tenant, subject=env.subject,
                           data=env.data, id=env.id, time=time_)
        items.append(Decoded(env, event))
    async with rt.sessions() as session, session.begin():
        await dispatch(session, handlers.subscriptions(rt), items)


CAUGHT_UP = datetime(2100, 1, 1, tzinfo=UTC)


async def pipeline_evaluated_until(rt: ServiceRuntime, until: datetime, partitions: int = 1,
                                   sources: int = 1) -> None:
    """Watermark marks saying every check-in accepted up to ``until`` is projected (the tests
    that are not about the watermark run with the pipeline caught up: :data:`CAUGHT_UP`)."""
    await apply(rt, MARK_TENANT, *(CheckinsEvaluatedMark(
        partition=q, partitions=partitions, source_partition=p, source_partitions=sources, accepted_until=until)
        for q in range(partitions) for p in range(sources)))


async def seed(rt: ServiceRuntime, tenant: str, *, employees: Sequence[tuple[str, str]],
               sectors: dict[str, Sector], content: PolicyContent | None = None, flags: dict[str, dict] | None = None,
               effective_at: datetime | None = None) -> PolicyContent:
    content = content or PolicyContent(windows=windows(), working_days=[1, 2, 3, 4, 5, 6, 7])
    events: list[Event] = [DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant, name=f"Pemerintah {tenant}", kind="province", timezone=TZ))]
    events += [DirectoryUpdatedV2(entity="unit", unit=UnitRecord(id=u, name=f"Dinas {u}", sector=s, effective_sector=s))
               for u, s in sectors.items()]
    events += [DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(
        nip=n, name=f"Pegawai {n[-4:]}", unit_id=u, **(flags or {}).get(n, {}))) for n, u in employees]
    await apply(rt, tenant, *events)
    await apply(rt, tenant, PolicyUpdated(
        policy_id="se-1", number="800/258-BKD/2026", version=1, title="Uji", valid_from=DAY - timedelta(days=9),
        timezone=TZ, content=content), time_=effective_at or at(0, 0))
    return content


def verdict(employee: str, window_id: str | None, status: str, *, captured: datetime, late_minutes: int = 0,
            geofence: str = "inside", suspicious: bool = False, kind: CheckinKind = K.LOCATION,
            unit: str | None = None, day: date = DAY) -> CheckinEvaluated:
    return CheckinEvaluated(
        checkin_id=uuid.uuid4(), employee_id=employee, unit_id=unit, kind=kind, captured_at=captured,
        received_at=captured, local_date=day, window_id=window_id, status=status,  # type: ignore[arg-type]
        late_minutes=late_minutes, geofence=geofence, suspicious=suspicious,  # type: ignore[arg-type]
        reasons=["mock_location"] if suspicious else [])


def roster(unit: str, assignments: dict[str, str], day: date = DAY) -> RosterPublished:
    return RosterPublished(unit_id=unit, start=day, end=day, assignments=[
        RosterAssignment(employee_id=n, date=day, mode=m) for n, m in assignments.items()])  # type: ignore[arg-type]


async def outbox_events(rt: ServiceRuntime, ce_type: str | None = None) -> list[tuple[str, dict]]:
    """(subject, payload) of the staged outbox rows, optionally of one type."""
    import json

    query = select(store.outbox.c.subject, store.outbox.c.payload, store.outbox.c.ce_type).order_by(store.outbox.c.id)
    async with rt.sessions() as session:
        rows = (await session.execute(query)).all()
    return [(s, json.loads(p)) for s, p, t in rows if ce_type is None or t == ce_type]


async def ledger(rt: ServiceRuntime, tenant: str, window_id: str, day: date = DAY) -> dict[str, store.Expectation]:
    """The ledger rows of one closed window, by NIP."""
    x = store.Expectation
    async with rt.sessions() as session:
        rows = await session.scalars(select(x).where(x.tenant == tenant, x.day == day, x.window_id == window_id))
        return {r.nip: r for r in rows}


async def count(rt: ServiceRuntime, table: object) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


OVERDUE = "hadir.report.overdue.v1"
DUE_SOON = "hadir.report.due_soon.v1"
