"""The national view: every tenant's day in aggregates, and per sector across tenants.

No personal data leaves this module: no NIP, no name, no unit — counts per tenant
and per sector only, from the ledger of *closed* windows (so a tenant whose day is
still running shows the windows closed so far, ``windows_closed``) and the units'
in-office snapshots. ``date`` is each tenant's own local date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import zone_abbreviation
from services.reporting.daily import Counts
from services.reporting.store import Expectation, Tenant, UnitDay, Verification, WindowClosure


class SectorFigures(BaseModel):
    sector: str
    tenants: int = 0
    units: int = 0
    units_meeting_quota: int = 0
    headcount: int = 0
    wfo: int = 0
    ratio: float | None = None
    quota_pct: int | None = None
    totals: Counts = Field(default_factory=Counts)


class TenantFigures(BaseModel):
    tenant: str
    name: str
    kind: str
    zone: str
    windows_closed: int
    totals: Counts
    compliance_pct: float | None
    units_total: int
    units_verified: int
    sectors: list[SectorFigures]


class NationalReport(BaseModel):
    date: date
    tenants: list[TenantFigures]
    sectors: list[SectorFigures]
    totals: Counts


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def national_report(session: AsyncSession, day: date) -> NationalReport:
    tenants = {t.id: t for t in await session.scalars(select(Tenant).order_by(Tenant.id))}
    x = Expectation.__table__.c
    counted = await session.execute(
        select(x.tenant, x.sector, x.status, func.count(), func.sum(case((x.outside_geofence, 1), else_=0)),
               func.sum(case((x.suspicious, 1), else_=0)))
        .where(x.day == day).group_by(x.tenant, x.sector, x.status))
    u = UnitDay.__table__.c
    offices = await session.execute(
        select(u.tenant, u.sector, func.count(), func.sum(u.headcount), func.sum(u.wfo), func.max(u.quota_pct),
               func.sum(case((u.wfo * 100 >= u.headcount * u.quota_pct, 1), else_=0)))
        .where(u.day == day).group_by(u.tenant, u.sector))
    w = WindowClosure.__table__.c
    closed: dict[str, int] = dict((await session.execute(
        select(w.tenant, func.count()).where(w.day == day, w.phase == "overdue").group_by(w.tenant))).all())
    v = Verification.__table__.c
    verified: dict[str, int] = dict((await session.execute(
        select(v.tenant, func.count()).where(v.day == day).group_by(v.tenant))).all())

    per: dict[tuple[str, str], SectorFigures] = {}

    def cell(tenant: str, sector: str) -> SectorFigures:
        if (tenant, sector) not in per:
            per[(tenant, sector)] = SectorFigures(sector=sector, tenants=1, totals=Counts())
        return per[(tenant, sector)]

    for tenant, sector, status, n, outside, suspicious in counted:
        c = cell(tenant, sector).totals
        c.expected += n
        setattr(c, status, getattr(c, status) + n)
        c.outside_geofence += outside or 0
        c.suspicious += suspicious or 0
    units_total: dict[str, int] = defaultdict(int)
    for tenant, sector, units, headcount, wfo, quota, meeting in offices:
        s = cell(tenant, sector)
        s.units, s.headcount, s.wfo, s.quota_pct = units, headcount or 0, wfo or 0, quota
        s.units_meeting_quota = meeting or 0
        s.ratio = _ratio(s.wfo, s.headcount)
        units_total[tenant] += units

    tenant_rows = []
    for tid in sorted({t for t, _ in per} | set(closed)):
        t = tenants.get(tid)
        sectors = sorted((s for (owner, _), s in per.items() if owner == tid), key=lambda s: s.sector)
        totals = Counts()
        for s in sectors:
            totals.add(s.totals)
        tenant_rows.append(TenantFigures(
            tenant=tid, name=t.name if t else tid, kind=t.kind if t else "", zone=zone_abbreviation(t.timezone)
            if t else "", windows_closed=closed.get(tid, 0), totals=totals,
            compliance_pct=round(100 * (totals.on_time + totals.late) / totals.expected, 1) if totals.expected
            else None, units_total=units_total.get(tid, 0), units_verified=verified.get(tid, 0), sectors=sectors))

    across: dict[str, SectorFigures] = {}
    for (_, sector), s in per.items():
        a = across.setdefault(sector, SectorFigures(sector=sector, totals=Counts()))
        a.tenants += 1
        a.units += s.units
        a.units_meeting_quota += s.units_meeting_quota
        a.headcount += s.headcount
        a.wfo += s.wfo
        a.totals.add(s.totals)
    for a in across.values():
        a.ratio = _ratio(a.wfo, a.headcount)
    totals = Counts()
    for row in tenant_rows:
        totals.add(row.totals)
    return NationalReport(date=day, tenants=tenant_rows, sectors=[across[k] for k in sorted(across)], totals=totals)
