"""Prometheus gauges of the reports, per tenant and category (sector).

Labels are bounded: ``tenant_ref`` (at most the 552 regional governments, each by its
opaque reference, :class:`services.runtime.metrics.TenantRefs`: ``/metrics`` answers
without credentials, so it never names a tenant), ``sector`` (critical, essential,
non_essential) and ``status`` (on_time, late, missing, excused) — never an employee or a unit.
The gauges describe each tenant's *current local day* from the ledger of closed windows
and the in-office snapshot, refreshed by the scheduler every
``HADIR_REPORTING_METRICS_SECONDS``. Every reporting instance exports the same values
(they read one database, with the same ``HADIR_METRICS_TENANT_KEY``): aggregate with
``max``, not ``sum``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import local_date
from services.reporting.domain.ledger import QUALIFYING
from services.reporting.domain.scoring import EXCUSED
from services.reporting.store import Expectation, Tenant, UnitDay, Verification
from services.runtime.metrics import TenantRefs


class ReportingMetrics:
    def __init__(self, registry: CollectorRegistry, tenant_ref: TenantRefs | None = None) -> None:
        self.tenant_ref = tenant_ref or TenantRefs()
        labels = ["tenant_ref", "sector"]
        self.expected = Gauge("hadir_reporting_expected_checkins",
                              "Expected check-ins of closed windows today", labels, registry=registry)
        self.checkins = Gauge("hadir_reporting_checkins", "Expected check-ins of closed windows today by outcome",
                              [*labels, "status"], registry=registry)
        self.outside = Gauge("hadir_reporting_outside_geofence", "Check-ins outside the geofence today",
                             labels, registry=registry)
        self.suspicious = Gauge("hadir_reporting_suspicious", "Suspicious check-ins today", labels, registry=registry)
        self.in_office = Gauge("hadir_reporting_in_office_ratio", "Share of staff rostered in the office today",
                               labels, registry=registry)
        self.quota = Gauge("hadir_reporting_in_office_quota_ratio", "The sector's in-office quota",
                           labels, registry=registry)
        self.units_below = Gauge("hadir_reporting_units_below_quota", "Units rostered below their sector's quota",
                                 labels, registry=registry)
        self.units_verified = Gauge("hadir_reporting_units_verified", "Units whose head verified today's report",
                                    ["tenant_ref"], registry=registry)
        self.notices = Counter("hadir_reporting_notices_total", "report.due_soon / report.overdue staged",
                               ["phase"], registry=registry)
        self.overdue_emitted = Counter("hadir_overdue_emitted", "report.overdue events staged, per tenant",
                                       ["tenant_ref"], registry=registry)
        self.closures = Counter("hadir_reporting_window_closures_total", "Window closures made by this instance",
                                ["phase"], registry=registry)
        self.close_seconds = Histogram("hadir_reporting_window_close_seconds", "Time to close one window",
                                       registry=registry, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.forced_closures = Counter(
            "hadir_reporting_forced_closures_total", "Windows closed after the maximum hold, before the pipeline's "
            "watermark had passed their deadline (check-ins may still have been in flight)", registry=registry)
        self.held_closures = Gauge(
            "hadir_reporting_held_closures", "Windows past deadline + settle held because the pipeline's watermark "
            "has not passed their deadline yet", registry=registry)
        self.watermark_lag = Gauge(
            "hadir_reporting_watermark_lag_seconds", "How far the pipeline's watermark is behind the clock "
            "(-1: unknown, not every partition has a mark yet)", registry=registry)
        self.late_after_overdue = Counter("hadir_reporting_late_after_overdue_total",
                                          "Check-ins that arrived after their window closed", registry=registry)

    async def refresh(self, session: AsyncSession, now: datetime) -> None:
        """Recompute every gauge from the database (one grouped query per table)."""
        tenants = {t.id: t.timezone for t in await session.scalars(select(Tenant))}
        today = {tid: local_date(now, tz) for tid, tz in tenants.items()}
        days = set(today.values()) or {now.date()}
        lo, hi = min(days), max(days)
        x = Expectation.__table__.c
        counts = await session.execute(
            select(x.tenant, x.day, x.sector, x.status, func.count(),
                   func.sum(case((x.outside_geofence, 1), else_=0)), func.sum(case((x.suspicious, 1), else_=0)))
            .where(x.day >= lo, x.day <= hi).group_by(x.tenant, x.day, x.sector, x.status))
        u = UnitDay.__table__.c
        offices = await session.execute(
            select(u.tenant, u.day, u.sector, func.sum(u.headcount), func.sum(u.wfo), func.max(u.quota_pct),
                   func.sum(case((u.wfo * 100 < u.headcount * u.quota_pct, 1), else_=0)))
            .where(u.day >= lo, u.day <= hi).group_by(u.tenant, u.day, u.sector))
        v = Verification.__table__.c
        verified = await session.execute(
            select(v.tenant, v.day, func.count()).where(v.day >= lo, v.day <= hi).group_by(v.tenant, v.day))

        expected: dict[tuple[str, str], int] = defaultdict(int)
        by_status: dict[tuple[str, str, str], int] = defaultdict(int)
        outside: dict[tuple[str, str], int] = defaultdict(int)
        suspicious: dict[tuple[str, str], int] = defaultdict(int)
        ref = self.tenant_ref
        for tenant, day, sector, status, n, out, sus in counts:
            if today.get(tenant) != day:
                continue
            expected[(ref(tenant), sector)] += 0 if status == EXCUSED else n
            by_status[(ref(tenant), sector, status)] += n
            outside[(ref(tenant), sector)] += out or 0
            suspicious[(ref(tenant), sector)] += sus or 0
        for gauge in (self.expected, self.checkins, self.outside, self.suspicious, self.in_office, self.quota,
                      self.units_below, self.units_verified):
            gauge.clear()
        for key, n in expected.items():
            self.expected.labels(*key).set(n)
            self.outside.labels(*key).set(outside[key])
            self.suspicious.labels(*key).set(suspicious[key])
            for status in (*QUALIFYING, "missing", EXCUSED):
                self.checkins.labels(*key, status).set(by_status.get((*key, status), 0))
        for tenant, day, sector, headcount, wfo, quota, below in offices:
            if today.get(tenant) != day:
                continue
            self.in_office.labels(ref(tenant), sector).set((wfo or 0) / headcount if headcount else 0)
            self.quota.labels(ref(tenant), sector).set((quota or 0) / 100)
            self.units_below.labels(ref(tenant), sector).set(below or 0)
        for tenant, day, n in verified:
            if today.get(tenant) == day:
                self.units_verified.labels(ref(tenant)).set(n)
