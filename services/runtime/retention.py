"""The retention job of every service (UU PDP 27/2022: limited retention): one background loop that
reduces what has passed its period, tenant by tenant, in short transactions.

A service hands :func:`schedule` its tenant table (``id``, ``timezone``, ``retention``) and its
:class:`Reducer`\\ s. Every ``HADIR_RETENTION_INTERVAL_SECONDS`` (0: never; the first run one interval
after the start) a run

- takes a PostgreSQL advisory lock of the service's job at session level on a connection of its own,
  and holds it for the run: a replica that finds it taken skips the round (outcome ``skipped``), so
  replicas never reduce side by side (each statement is idempotent anyway: a second run reduces
  nothing, and rows are claimed ``FOR UPDATE SKIP LOCKED``);
- for each tenant, with its periods (:func:`services.contracts.rules.retention.periods_of` of the
  stored ``retention``) and its local day, calls each reducer in a transaction of its own, confined
  to the tenant (:func:`.rls.confine`), again and again until it reduces fewer than ``limit`` rows —
  a backlog never holds one long transaction;
- deletes outbox rows published more than ``HADIR_OUTBOX_KEEP_DAYS`` ago (kind ``sent_events``;
  parked and pending rows are kept), for every tenant at once.

A failing reducer (or tenant) is logged and the run counted ``failed``; the others still run. Each
run logs one line with what it reduced. Metrics: ``hadir_retention_reduced_total{kind}``,
``hadir_retention_runs_total{outcome}`` (ok, failed, skipped) and
``hadir_retention_last_success_timestamp_seconds`` (a run with no failure; before the first, the time
the job was scheduled, so that the alert ``HadirRetentionStale`` gives a new process its two days).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

import structlog
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client import Counter as MetricCounter
from sqlalchemy import FromClause, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.contracts.policy import local_date
from services.contracts.rules.retention import RetentionPeriods, cutoff, periods_of
from services.runtime import rls, sql
from services.runtime.db import advisory_key
from services.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)

LIMIT = 2000  # rows one reducer call (one transaction) reduces at most
MAX_CALLS = 500  # calls of one reducer for one tenant in one run; what is left waits for the next run
SENT_EVENTS = "sent_events"
_NO_ID = 2**63 - 1  # above every outbox id: no row is kept
Outcome = Literal["ok", "failed", "skipped"]

# (session, tenant, periods, now (UTC), today (the tenant's local day), limit) -> rows reduced (at most limit)
Apply = Callable[[AsyncSession, str, RetentionPeriods, datetime, date, int], Awaitable[int]]


@dataclass(frozen=True)
class Reducer:
    """One kind of reduction of one tenant's rows: ``apply`` reduces at most ``limit`` rows that are
    past their period and not yet reduced, in the caller's transaction, and returns how many."""

    kind: str
    apply: Apply


@dataclass(frozen=True)
class Run:
    """What one run did: rows reduced by kind, the kinds (or ``tenants``) that failed."""

    outcome: Outcome
    reduced: dict[str, int] = field(default_factory=dict)
    failed: tuple[str, ...] = ()


class RetentionMetrics:
    def __init__(self, registry: CollectorRegistry, kinds: Sequence[str]) -> None:
        self.registry = registry
        self.reduced = MetricCounter(
            "hadir_retention_reduced_total", "Rows the retention job reduced or deleted, by kind", ["kind"],
            registry=registry)
        self.runs = MetricCounter(
            "hadir_retention_runs_total",
            "Retention runs by outcome (ok; failed: a reducer failed; skipped: another replica ran)", ["outcome"],
            registry=registry)
        self.last_success = Gauge(
            "hadir_retention_last_success_timestamp_seconds",
            "When a retention run last ended without failure (before the first run: when the job was scheduled)",
            registry=registry)
        for kind in kinds:
            self.reduced.labels(kind)
        for outcome in ("ok", "failed", "skipped"):
            self.runs.labels(outcome)
        self.last_success.set(time.time())


def lock_key(service: str, job: str = "retention") -> int:
    """A stable signed 64-bit advisory-lock key of one service's job."""
    return advisory_key("hadir-retention", service, job)


class Retention:
    """The runs of one service's retention job (:func:`schedule` builds it from a runtime)."""

    def __init__(self, sessions: Callable[[], AsyncSession], engine: AsyncEngine, *, tenants: FromClause,
                 reducers: Sequence[Reducer], outbox: Table | None, outbox_keep_days: int,
                 metrics: RetentionMetrics, lock: int, limit: int = LIMIT) -> None:
        self._sessions = sessions
        self._engine = engine
        self._tenants = tenants
        self.reducers = list(reducers)
        self._outbox = outbox
        self._keep_days = outbox_keep_days
        self.metrics = metrics
        self.lock = lock  # the advisory-lock key of the job (lock_key)
        self.limit = limit

    async def run_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.run_once()

    async def run_once(self, now: datetime | None = None) -> Run:
        """One run at ``now`` (default: the clock): every tenant, every reducer, then the sent events."""
        started = time.monotonic()
        now = now or datetime.now(UTC)
        reduced: Counter[str] = Counter()
        failed: list[str] = []
        try:
            async with self._held() as held:
                if not held:  # another replica runs it
                    return self._ended("skipped", reduced, failed, started)
                tenants = await self._tenant_rows(failed)
                for tenant, zone, stored in tenants:
                    await self._tenant(tenant, zone, stored, now, reduced, failed)
                if self._outbox is not None:
                    outbox, before = self._outbox, cutoff(now, self._keep_days)
                    await self._drain(SENT_EVENTS, lambda s, n: sent_events(s, outbox, before, n), None,
                                      reduced, failed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the lock could not be taken (database unreachable)
            log.warning("retention run failed", error=repr(exc))
            failed.append("lock")
        return self._ended("failed" if failed else "ok", reduced, failed, started)

    def _ended(self, outcome: Outcome, reduced: Counter[str], failed: list[str], started: float) -> Run:
        """Count the run, and log it in one line."""
        self.metrics.runs.labels(outcome).inc()
        if outcome == "ok":
            self.metrics.last_success.set(time.time())
        run = Run(outcome, dict(reduced), tuple(sorted(set(failed))))
        log.info("retention run", outcome=outcome, reduced=run.reduced, failed=list(run.failed),
                 seconds=round(time.monotonic() - started, 3))
        return run

    async def _tenant_rows(self, failed: list[str]) -> list[tuple[str, str, dict[str, object] | None]]:
        t = self._tenants.c
        try:
            async with self._sessions() as session:
                rows = await session.execute(select(t.id, t.timezone, t.retention).order_by(t.id))
                return [(r[0], r[1], r[2]) for r in rows]
        except Exception as exc:  # noqa: BLE001 — the sent events are still swept
            log.warning("retention could not read the tenants", error=repr(exc))
            failed.append("tenants")
            return []

    async def _tenant(self, tenant: str, zone: str, stored: dict[str, object] | None, now: datetime,
                      reduced: Counter[str], failed: list[str]) -> None:
        try:
            periods, today = periods_of(stored), local_date(now, zone)
        except Exception as exc:  # noqa: BLE001 — stored periods or zone unusable: the other tenants go on
            log.warning("retention skipped a tenant", tenant=tenant, error=repr(exc))
            failed.append("tenants")
            return
        for reducer in self.reducers:
            async def call(session: AsyncSession, limit: int, reducer: Reducer = reducer) -> int:
                await rls.confine(session, tenant)
                return await reducer.apply(session, tenant, periods, now, today, limit)
            await self._drain(reducer.kind, call, tenant, reduced, failed)

    async def _drain(self, kind: str, call: Callable[[AsyncSession, int], Awaitable[int]], tenant: str | None,
                     reduced: Counter[str], failed: list[str]) -> None:
        """``call`` in a transaction of its own until it reduces fewer than ``limit`` rows."""
        try:
            for _ in range(MAX_CALLS):
                async with self._sessions() as session, session.begin():
                    count = await call(session, self.limit)
                reduced[kind] += count
                self.metrics.reduced.labels(kind).inc(count)
                if count < self.limit:
                    return
            log.warning("retention left rows for the next run", kind=kind, tenant=tenant,
                        calls=MAX_CALLS, limit=self.limit)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention reducer failed", kind=kind, tenant=tenant)
            failed.append(kind)

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[bool]:
        """The job's advisory lock at session level, on a connection of its own held for the run
        (no transaction stays open meanwhile); SQLite (one process per database) needs none."""
        if self._engine.dialect.name != "postgresql":
            yield True
            return
        conn = await self._engine.connect()
        unlocked = True
        try:
            held = bool(await conn.scalar(select(func.pg_try_advisory_lock(self.lock))))
            await conn.commit()
            unlocked = not held
            yield held
            if held:
                await conn.execute(select(func.pg_advisory_unlock(self.lock)))
                await conn.commit()
                unlocked = True
        finally:
            if not unlocked:  # a session lock must not go back to the pool: dropping the connection ends it
                await conn.invalidate()
            await conn.close()


async def sent_events(session: AsyncSession, outbox: Table, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` outbox rows published before ``before``; rows pending or parked are never
    touched. The relay publishes in id order, so the rows to delete lie before the first row kept (a
    parked one aside): the scan walks the primary key up to there and never reads the rows kept (a row
    committed late, published after a later id, goes once that first kept row has gone)."""
    live = outbox.c.parked_at.is_(None)
    first_kept = (select(outbox.c.id).where(live, or_(outbox.c.published_at.is_(None), outbox.c.published_at >= before))
                  .order_by(outbox.c.id).limit(1).scalar_subquery())
    return await sql.delete_claimed(session, outbox.c.id, select(outbox.c.id).where(
        outbox.c.published_at < before, live, outbox.c.id < func.coalesce(first_kept, _NO_ID))
        .order_by(outbox.c.id).limit(limit))


def schedule(rt: ServiceRuntime, tenants: FromClause, reducers: Sequence[Reducer], *,
             limit: int = LIMIT) -> Retention:
    """The service's retention job, run by a background loop every ``retention_interval_seconds``
    (none when 0: the job can still be run by hand, its metrics then stay unregistered)."""
    interval = rt.settings.retention_interval_seconds
    kinds = [r.kind for r in reducers] + ([SENT_EVENTS] if rt.outbox is not None else [])
    metrics = RetentionMetrics(rt.registry if interval > 0 else CollectorRegistry(), kinds)
    job = Retention(lambda: rt.sessions(), rt.engine, tenants=tenants, reducers=reducers, outbox=rt.outbox,
                    outbox_keep_days=rt.settings.outbox_keep_days, metrics=metrics,
                    lock=lock_key(rt.settings.service), limit=limit)
    if interval > 0:
        rt.loop("retention", lambda: job.run_forever(interval))
    return job
