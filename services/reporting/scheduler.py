"""Due-soon and overdue detection, and the month-end evaluation.

Every few seconds, for each tenant, the windows of the last ``lookback_days`` days
and today (tenant local time) are looked at — each under the letter version in force
at its opening, the version policy judges its check-ins by
(:func:`.domain.windows.day_windows`):

- once ``now >= deadline + settle`` (deadline = window end + grace) *and* the pipeline's
  watermark has passed the deadline — every check-in accepted before it has been evaluated
  and projected (:mod:`.domain.watermark`) — the window is *closed*: every expected
  employee gets a ledger row (``expectations``) and each one without a qualifying
  check-in gets one ``report.overdue``. A stalled pipeline holds the closure for at most
  ``max_hold``; then the window closes anyway, *forced* (flag on the closure and the
  report, a metric, an alert). While a window waits for the watermark, every batch the
  projections consumer commits (marks among them) wakes the scheduler (:meth:`WindowScheduler.wake`,
  at most ``MIN_GAP`` apart) instead of it waiting out its interval;
- in ``[deadline - due_soon_before, deadline)`` each expected employee not yet
  checked in gets one ``report.due_soon``.

Who is expected follows the tenant's calendar (``directory.updated``: national holidays, cuti
bersama, its own days; :func:`services.contracts.rules.calendar.is_working_day`) and its
decisions (:mod:`.domain.decisions`): someone an approved absence excuses gets neither
notice, and at the closure an ``excused`` ledger row instead of ``missing``; an approved
correction is applied to the row it contests; a returned check-in does not fill its window.

Exactly once: each decision inserts a ``window_closures`` row whose primary key is
(tenant, day, window, phase) in the same transaction as the ledger rows and the
outbox rows, so with several instances, or after a restart that slept through the
moment (the lookback catches up), it is made once. On PostgreSQL the closure also
holds the window's advisory lock (:func:`.window_lock.lock_window`), so no verdict
slips between its read of the evaluations and its write of the ledger. Each row is
decided by the one rule (:mod:`.domain.ledger`). Rows and outbox events are written
set-based (100,000 expected check-ins close in seconds).

Windows whose deadline passed before their version took effect are never closed.
The month-end evaluation runs on the last day of the month once that day's
windows are closed (or at the first scan afterwards): see :mod:`.monthly`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import ReportDueSoon, ReportOverdue
from services.contracts.policy import PolicyContent, local_date
from services.contracts.rules.versions import aware
from services.reporting import monthly, queries
from services.reporting.domain.daily import in_office
from services.reporting.domain.expectations import expected_for_window, place
from services.reporting.domain.ledger import build_rows
from services.reporting.domain.monthly import months_due
from services.reporting.domain.watermark import closure, watermark
from services.reporting.domain.windows import DayWindow, awaiting_closure, day_windows
from services.reporting.metrics import ReportingMetrics
from services.reporting.notices import payload_factory
from services.reporting.store import Expectation, PolicyVersion, Tenant, UnitDay, WindowClosure
from services.reporting.window_lock import lock_window
from services.runtime import outbox, sql, telemetry
from services.runtime.service import ServiceRuntime
from services.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

MIN_GAP = 0.2  # seconds between two scans' starts, however often a wake comes
LEDGER_COLUMNS = ("tenant", "day", "window_id", "nip", "unit_id", "sector", "status", "late_minutes",
                  "outside_geofence", "suspicious", "checkin_at", "overdue", "deadline", "absence_kind",
                  "original_status", "original_late_minutes", "original_outside_geofence", "corrected_at")


class WindowScheduler:
    def __init__(self, rt: ServiceRuntime, *, interval: float, settle: timedelta, due_soon_before: timedelta,
                 max_hold: timedelta, lookback_days: int = 3, metrics: ReportingMetrics | None = None,
                 metrics_every: float = 15.0) -> None:
        self.rt = rt
        self.interval = interval
        self.settle = settle
        self.max_hold = max_hold
        self.due_soon_before = due_soon_before
        self.lookback_days = lookback_days
        self.metrics = metrics
        self.metrics_every = metrics_every
        self._metrics_at = 0.0
        self._months_done: set[tuple[str, date]] = set()
        self._held = 0  # windows past deadline + settle waiting for the watermark, in the last scan
        self._wakeup = Wakeup()

    def wake(self) -> None:
        """A projections batch committed (it may carry the mark a held window waits for): look
        again now rather than at the next interval — only while some window is held."""
        if self._held:
            self._wakeup.ring()

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.scan(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down: try again next round
                log.warning("window scan failed", error=repr(exc))
            await self.pause(started)

    async def pause(self, started: float) -> None:
        """Until the next scan: the interval, or a wake (not sooner than ``MIN_GAP`` after ``started``)."""
        await self._wakeup.sleep(self.interval)
        await asyncio.sleep(max(0.0, started + MIN_GAP - time.monotonic()))

    async def scan(self, now: datetime) -> int:
        """One pass over every tenant; returns how many notices were staged."""
        async with self.rt.sessions() as session:
            tenants = (await session.scalars(select(Tenant))).all()
            versions = (await session.scalars(select(PolicyVersion))).all()
            first = min((local_date(now, t.timezone) for t in tenants), default=now.date())
            done = {(c.tenant, c.day, c.window_id, c.phase) for c in (await session.execute(
                select(WindowClosure.tenant, WindowClosure.day, WindowClosure.window_id, WindowClosure.phase)
                .where(WindowClosure.day >= first - timedelta(days=self.lookback_days)))).all()}
            mark = watermark(await queries.evaluated_marks(session))
        self._held = 0
        by_tenant: dict[str, list[PolicyVersion]] = {}
        for v in versions:
            by_tenant.setdefault(v.tenant, []).append(v)
        staged = 0
        for tenant in tenants:
            today = local_date(now, tenant.timezone)
            for offset in range(self.lookback_days, -1, -1):
                day = today - timedelta(days=offset)
                for window in day_windows(by_tenant.get(tenant.id, []), day, tenant.timezone):
                    staged += await self._check_window(tenant, window, day, now, mark, done)
            await self._maybe_close_month(tenant, by_tenant.get(tenant.id, []), now, done)
        if staged:
            self.rt.wake_relay()
        if self.metrics is not None:
            self.metrics.held_closures.set(self._held)
            self.metrics.watermark_lag.set((now - mark).total_seconds() if mark is not None else -1)
        await self._refresh_metrics(now)
        return staged

    def phase_due(self, window: DayWindow, now: datetime, mark: datetime | None) -> tuple[str, bool] | None:
        """Which decision (if any) a window is due for at ``now`` with the pipeline's watermark
        ``mark``, and whether an overdue closure is forced."""
        if not window.closes:
            return None  # its version took effect after this window had closed
        deadline = window.bounds.deadline
        decision = closure(deadline, now, mark, settle=self.settle, max_hold=self.max_hold)
        if decision.due:
            return "overdue", decision.forced
        if now >= deadline + self.settle:
            self._held += 1
            return None
        reminder_at = deadline - self.due_soon_before
        if (self.due_soon_before and reminder_at <= now < deadline
                and reminder_at >= aware(window.version.effective_at)):
            return "due_soon", False
        return None

    async def _check_window(self, tenant: Tenant, window: DayWindow, day: date, now: datetime,
                            mark: datetime | None, done: set[tuple[str, date, str, str]]) -> int:
        if (tenant.id, day, window.window.id, "overdue") in done:
            return 0
        due = self.phase_due(window, now, mark)
        if due is None or (tenant.id, day, window.window.id, due[0]) in done:
            return 0
        phase, forced = due
        if forced:
            log.warning("window closed without the watermark: check-ins accepted before its deadline may still "
                        "be in the pipeline", tenant=tenant.id, day=str(day), window=window.window.id,
                        watermark=str(mark), deadline=str(window.bounds.deadline))
        staged = await self.close(tenant, window, day, phase, forced=forced)
        done.add((tenant.id, day, window.window.id, phase))  # the month-end check below sees it closed
        return staged

    async def close(self, tenant: Tenant, day_window: DayWindow, day: date, phase: str, *,
                    forced: bool = False) -> int:
        """Make one decision for one window (once, whoever else tries); returns notices staged.
        With tracing on, in a span of its own: the trace of the notices it stages."""
        with telemetry.job(f"close window {phase}", **{"hadir.tenant": tenant.id, "hadir.window": day_window.window.id,
                                                       "hadir.day": day.isoformat(), "hadir.phase": phase}):
            return await self._close(tenant, day_window, day, phase, forced=forced)

    async def _close(self, tenant: Tenant, day_window: DayWindow, day: date, phase: str, *, forced: bool) -> int:
        started = time.perf_counter()
        version, content, window = day_window.version, day_window.content, day_window.window
        deadline = day_window.bounds.deadline
        async with self.rt.sessions() as session, session.begin():
            if phase == "overdue":
                await lock_window(session, tenant.id, day, window.id, shared=False)
            if not await _claim(session, tenant.id, day, window.id, phase):
                return 0
            people = await queries.people(session, tenant.id)
            placed = place(people, content, await queries.unit_sectors(session, tenant.id, content),
                           await queries.roster_modes(session, tenant.id, day))
            calendar = queries.calendar_of(tenant)
            decisions = await queries.day_decisions(session, tenant.id, day)
            expected = expected_for_window(placed, content, day, window, calendar, decisions.excused())
            facts = await queries.window_facts(session, tenant.id, day, window.id)
            if phase == "overdue":
                # Rows of everyone the window asks, absences aside: the excused get an ``excused`` row.
                rows = build_rows(window.id, expected_for_window(placed, content, day, window, calendar), facts,
                                  closed=True, decisions=decisions.for_window(window.id))
                await sql.copy_rows(session, Expectation.__table__, LEDGER_COLUMNS, [
                    (tenant.id, day, window.id, r.nip, r.unit_id, r.sector, r.status, r.late_minutes,
                     r.outside_geofence, r.suspicious, r.checkin_at, r.overdue, deadline, r.absence_kind,
                     r.original_status, r.original_late_minutes, r.original_outside_geofence, r.corrected_at)
                    for r in rows])
                await _snapshot_units(session, tenant.id, day, placed, content)
                absent = [(r.nip, r.unit_id) for r in rows if r.overdue]
            else:
                absent = [(p.person.nip, p.person.unit_id) for p in expected if p.person.nip not in facts]
            notice = ReportOverdue if phase == "overdue" else ReportDueSoon
            payload = payload_factory(notice, ("employee_id", "unit_id"), local_date=day, window_id=window.id,
                                      window_name=window.name, deadline=deadline, timezone=tenant.timezone)
            await outbox.stage_many(session, self.rt.outbox, [
                outbox.Encoded(notice, nip, payload(employee_id=nip, unit_id=unit_id)) for nip, unit_id in absent],
                tenant=tenant.id, source=self.rt.source)
            await session.execute(
                update(WindowClosure)
                .where(WindowClosure.tenant == tenant.id, WindowClosure.day == day,
                       WindowClosure.window_id == window.id, WindowClosure.phase == phase)
                .values(flagged=len(absent), expected=len(expected), deadline=deadline, policy_number=version.number,
                        forced=forced))
        elapsed = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.closures.labels(phase).inc()
            self.metrics.notices.labels(phase).inc(len(absent))
            if phase == "overdue":
                self.metrics.overdue_emitted.labels(self.metrics.tenant_ref(tenant.id)).inc(len(absent))
            if forced:
                self.metrics.forced_closures.inc()
            self.metrics.close_seconds.observe(elapsed)
        log.info("window closed", tenant=tenant.id, day=str(day), window=window.id, phase=phase, forced=forced,
                 expected=len(expected), flagged=len(absent), seconds=round(elapsed, 3))
        self.rt.wake_relay()
        return len(absent)

    async def _maybe_close_month(self, tenant: Tenant, versions: list[PolicyVersion], now: datetime,
                                 done: set[tuple[str, date, str, str]]) -> None:
        today = local_date(now, tenant.timezone)
        for month in months_due(today, self._today_closed(tenant, versions, today, now, done)):
            if (tenant.id, month) in self._months_done:
                continue
            async with self.rt.sessions() as session, session.begin():
                finished = await monthly.close_month(session, tenant.id, month, now)
            if finished is not None:
                log.info("month evaluated", tenant=tenant.id, month=str(month), employees=finished)
            self._months_done.add((tenant.id, month))

    def _today_closed(self, tenant: Tenant, versions: list[PolicyVersion], today: date, now: datetime,
                      done: set[tuple[str, date, str, str]]) -> bool:
        """Whether every window of today that will ever close has closed (a window held for the
        watermark has not)."""
        closed = {w for t, d, w, phase in done if (t, d, phase) == (tenant.id, today, "overdue")}
        return not awaiting_closure(day_windows(versions, today, tenant.timezone), closed)

    async def _refresh_metrics(self, now: datetime) -> None:
        if self.metrics is None or time.monotonic() - self._metrics_at < self.metrics_every:
            return
        self._metrics_at = time.monotonic()
        async with self.rt.sessions() as session:
            await self.metrics.refresh(session, now)


async def _snapshot_units(session: AsyncSession, tenant: str, day: date, placed, content: PolicyContent) -> None:  # type: ignore[no-untyped-def]
    """Freeze the units' in-office figures with the day's first closure."""
    figures = in_office(placed, content)
    sectors = {p.person.unit_id: p.sector for p in placed}
    await sql.insert_rows(session, UnitDay.__table__, [{
        "tenant": tenant, "day": day, "unit_id": unit_id, "sector": sectors[unit_id], "quota_pct": f.quota_pct or 0,
        "headcount": f.headcount, "wfo": f.wfo, "wfh": f.wfh, "unknown": f.unknown,
    } for unit_id, f in figures.items()], ignore_conflicts=True)


async def _claim(session: AsyncSession, tenant: str, day: date, window_id: str, phase: str) -> bool:
    """Insert the closure row; False when another instance (or an earlier run) has it."""
    return bool(await sql.insert_ignore(session, WindowClosure, [
        {"tenant": tenant, "day": day, "window_id": window_id, "phase": phase, "closed_at": datetime.now(UTC),
         "flagged": 0, "expected": 0}], WindowClosure.tenant))
