"""The retention job's runner (services.runtime.retention) on real PostgreSQL: each tenant's periods
and local day, short transactions until a reducer is drained, a failing reducer counted while the
others run, the advisory lock that keeps replicas from running side by side, the sweep of sent
outbox rows, and the loop's setting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import JSON, Column, MetaData, String, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.contracts.rules.retention import DEFAULT_PERIODS, RetentionPeriods
from services.runtime import db
from services.runtime.outbox import define_outbox
from services.runtime.retention import (
    SENT_EVENTS,
    Reducer,
    Retention,
    RetentionMetrics,
    lock_key,
    schedule,
)
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

pytestmark = pytest.mark.infra

METADATA = MetaData()
TENANTS = Table("tenants", METADATA, Column("id", String(100), primary_key=True),
                Column("timezone", String(64), nullable=False), Column("retention", JSON))
OUTBOX = define_outbox(METADATA)
# 23:30 in Jakarta (WIB), already the next day in Makassar (WITA, 00:30) and Jayapura (WIT, 01:30).
NOW = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)


@dataclass
class Db:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def job(self, reducers: list[Reducer], *, limit: int = 100, lock: int | None = None,
            outbox: Table | None = OUTBOX) -> Retention:
        kinds = [r.kind for r in reducers] + [SENT_EVENTS]
        return Retention(lambda: self.sessions(), self.engine, tenants=TENANTS, reducers=reducers, outbox=outbox,
                         outbox_keep_days=7, metrics=RetentionMetrics(CollectorRegistry(), kinds),
                         lock=lock if lock is not None else lock_key(f"test-{uuid.uuid4().hex}"), limit=limit)

    async def tenants(self, *rows: tuple[str, str, dict[str, Any] | None]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(insert(TENANTS), [{"id": i, "timezone": z, "retention": r} for i, z, r in rows])


@pytest.fixture
async def rdb(pg_url: str) -> AsyncIterator[Db]:
    engine = db.make_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield Db(engine, db.make_sessions(engine))
    finally:
        await engine.dispose()


@dataclass
class Call:
    tenant: str
    periods: RetentionPeriods
    now: datetime
    today: date
    limit: int
    txid: int
    confined_to: str


def recording(kind: str, calls: list[Call], counts: list[int] | None = None) -> Reducer:
    """A reducer that records each call (with its transaction and the tenant it is confined to) and
    returns the next of ``counts`` (0 when they run out)."""
    left = list(counts or [])

    async def apply(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime, today: date,
                    limit: int) -> int:
        txid, confined = (await session.execute(
            text("SELECT txid_current(), current_setting('app.tenant', true)"))).one()
        calls.append(Call(tenant, periods, now, today, limit, int(txid), confined))
        return left.pop(0) if left else 0

    return Reducer(kind, apply)


def sample(job: Retention, name: str, **labels: str) -> float:
    return float(job.metrics.registry.get_sample_value(name, labels) or 0)


async def test_each_tenant_is_reduced_with_its_own_periods_on_its_own_local_day(rdb: Db) -> None:
    await rdb.tenants(("jakarta", "Asia/Jakarta", {"checkin_coordinates_days": 30, "notices_days": 60}),
                      ("makassar", "Asia/Makassar", None),
                      ("jayapura", "Asia/Jayapura", {"leaver_days": 0}))
    calls: list[Call] = []
    run = await rdb.job([recording("probe", calls)]).run_once(NOW)
    assert run.outcome == "ok" and run.failed == ()
    seen = {c.tenant: c for c in calls}
    assert set(seen) == {"jakarta", "makassar", "jayapura"}
    assert {t: c.today for t, c in seen.items()} == {
        "jakarta": date(2026, 3, 31), "makassar": date(2026, 4, 1), "jayapura": date(2026, 4, 1)}
    assert seen["jakarta"].periods == RetentionPeriods(checkin_coordinates_days=30, notices_days=60)
    assert seen["makassar"].periods == DEFAULT_PERIODS, "nothing stored: the defaults"
    assert seen["jayapura"].periods == RetentionPeriods(leaver_days=0)
    assert all(c.now == NOW and c.limit == 100 for c in calls)
    assert {t: c.confined_to for t, c in seen.items()} == {t: t for t in seen}, \
        "each tenant's transaction is confined to that tenant (row-level security)"


async def test_a_reducer_is_called_in_short_transactions_until_it_reduces_fewer_than_the_limit(rdb: Db) -> None:
    await rdb.tenants(("a", "Asia/Jakarta", None), ("b", "Asia/Jakarta", None))
    calls: list[Call] = []
    job = rdb.job([recording("probe", calls, [3, 3, 1, 3, 0])], limit=3)
    run = await job.run_once(NOW)
    assert [c.tenant for c in calls] == ["a", "a", "a", "b", "b"]
    assert len({c.txid for c in calls}) == 5, "every call in a transaction of its own"
    assert run.reduced["probe"] == 10
    assert sample(job, "hadir_retention_reduced_total", kind="probe") == 10
    assert sample(job, "hadir_retention_runs_total", outcome="ok") == 1


async def test_a_failing_reducer_is_counted_and_the_others_still_run(rdb: Db) -> None:
    await rdb.tenants(("a", "Asia/Jakarta", None), ("b", "Asia/Makassar", None), ("c", "Mars/Olympus", None),
                      ("d", "Asia/Jayapura", {"checkin_coordinates_days": 1}))
    calls: list[Call] = []
    broken = True

    async def fails_for_a(session: AsyncSession, tenant: str, *_: Any) -> int:
        if broken and tenant == "a":
            raise RuntimeError("boom")
        return 0

    job = rdb.job([Reducer("fragile", fails_for_a), recording("probe", calls)])
    started = sample(job, "hadir_retention_last_success_timestamp_seconds")
    assert started > 0, "before its first run the job counts from its start"
    run = await job.run_once(NOW)
    assert run.outcome == "failed"
    assert run.failed == ("fragile", "tenants"), "the reducer, and the tenant whose zone (or periods) is unusable"
    assert [c.tenant for c in calls] == ["a", "b"], "the other reducer ran for every usable tenant"
    assert sample(job, "hadir_retention_runs_total", outcome="failed") == 1
    assert sample(job, "hadir_retention_last_success_timestamp_seconds") == started

    async with rdb.sessions() as session, session.begin():
        await session.execute(TENANTS.update().where(TENANTS.c.id == "c").values(timezone="Asia/Makassar"))
        await session.execute(TENANTS.update().where(TENANTS.c.id == "d").values(retention={"leaver_days": 0}))
    broken = False
    again = await job.run_once(NOW)
    assert (again.outcome, again.failed) == ("ok", ())
    assert sample(job, "hadir_retention_runs_total", outcome="ok") == 1
    assert sample(job, "hadir_retention_last_success_timestamp_seconds") > started


async def test_a_replica_that_finds_the_lock_taken_skips_the_round(rdb: Db) -> None:
    await rdb.tenants(("a", "Asia/Jakarta", None))
    calls: list[Call] = []
    job = rdb.job([recording("probe", calls)])
    async with rdb.engine.connect() as other:
        assert await other.scalar(select(func.pg_try_advisory_lock(job.lock)))
        run = await job.run_once(NOW)
        assert (run.outcome, run.reduced, calls) == ("skipped", {}, [])
        assert sample(job, "hadir_retention_runs_total", outcome="skipped") == 1
        await other.execute(select(func.pg_advisory_unlock(job.lock)))
        assert (await job.run_once(NOW)).outcome == "ok"
        assert len(calls) == 1
        assert await other.scalar(select(func.pg_try_advisory_lock(job.lock))), "the run released its lock"
        await other.execute(select(func.pg_advisory_unlock(job.lock)))


async def test_two_replicas_started_together_do_not_reduce_side_by_side(rdb: Db) -> None:
    await rdb.tenants(("a", "Asia/Jakarta", None))
    inside, release = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def slow(session: AsyncSession, tenant: str, *_: Any) -> int:
        calls.append("first")
        inside.set()
        await release.wait()
        return 1

    async def quick(session: AsyncSession, tenant: str, *_: Any) -> int:
        calls.append("second")
        return 1

    key = lock_key("test-replicas-" + uuid.uuid4().hex)
    first, second = rdb.job([Reducer("probe", slow)], lock=key), rdb.job([Reducer("probe", quick)], lock=key)
    running = asyncio.create_task(first.run_once(NOW))
    await asyncio.wait_for(inside.wait(), 10)
    assert (await second.run_once(NOW)).outcome == "skipped", "the lock is held while the first one runs"
    release.set()
    assert (await running).reduced == {"probe": 1, SENT_EVENTS: 0}
    assert calls == ["first"]


async def test_sent_outbox_rows_past_the_keep_period_are_deleted_pending_and_parked_ones_kept(rdb: Db) -> None:
    before = NOW - timedelta(days=7)  # HADIR_OUTBOX_KEEP_DAYS of the job: 7
    rows = [  # in id order, as the relay publishes them
        ("old-1", before - timedelta(days=3), None),
        ("parked", None, before - timedelta(days=30)),
        ("old-2", before - timedelta(days=2), None),
        ("old-3", before - timedelta(days=1), None),
        ("second-older", before - timedelta(seconds=1), None),
        ("at-cut-off", before, None),
        ("recent", NOW - timedelta(hours=1), None),
        ("pending", None, None),
    ]
    async with rdb.sessions() as session, session.begin():
        await session.execute(insert(OUTBOX), [dict(
            event_id=e, topic="t.v1", ce_type="t", ce_source="/test", tenant="a", subject="s", ce_time=NOW,
            payload=b"{}", created_at=NOW - timedelta(days=40), published_at=p, parked_at=k) for e, p, k in rows])
    job = rdb.job([], limit=2)
    run = await job.run_once(NOW)
    assert run.reduced == {SENT_EVENTS: 4}
    async with rdb.sessions() as session:
        kept = (await session.scalars(select(OUTBOX.c.event_id).order_by(OUTBOX.c.id))).all()
    assert kept == ["parked", "at-cut-off", "recent", "pending"]
    assert (await job.run_once(NOW)).reduced == {SENT_EVENTS: 0}
    assert sample(job, "hadir_retention_reduced_total", kind=SENT_EVENTS) == 4


def runtime(interval: float, url: str) -> ServiceRuntime:
    settings = Settings(service=f"test-{uuid.uuid4().hex[:6]}", database_url=url, retention_interval_seconds=interval,
                        kafka_bootstrap_servers="127.0.0.1:9")
    return ServiceRuntime(settings, METADATA, Path("/nonexistent"))


async def test_the_loop_runs_only_when_an_interval_is_set_and_only_then_exposes_metrics(pg_url: str) -> None:
    off, on = runtime(0, pg_url), runtime(3600, pg_url)
    try:
        job_off, job_on = schedule(off, TENANTS, []), schedule(on, TENANTS, [])
        assert [name for name, _ in off._loops] == []
        assert [name for name, _ in on._loops] == ["retention"]
        assert b"hadir_retention" not in generate_latest(off.registry), "off: no job to alert about"
        exposed = generate_latest(on.registry).decode()
        for line in ('hadir_retention_reduced_total{kind="sent_events"} 0.0',
                     'hadir_retention_runs_total{outcome="ok"} 0.0',
                     'hadir_retention_runs_total{outcome="skipped"} 0.0',
                     "hadir_retention_last_success_timestamp_seconds "):
            assert line in exposed
        assert job_on.lock == lock_key(on.settings.service) != lock_key(off.settings.service), \
            "one lock per service (and job): replicas of a service share it"
        assert job_off.reducers == job_on.reducers == []
    finally:
        await off.engine.dispose()
        await on.engine.dispose()


def test_settings_default_to_hourly_runs_and_a_week_of_sent_events() -> None:
    settings = Settings()
    assert (settings.retention_interval_seconds, settings.outbox_keep_days) == (3600, 7)
