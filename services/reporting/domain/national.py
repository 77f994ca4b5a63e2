"""The national view: every tenant's day in aggregates, and per sector across tenants (pure).

No personal data goes in or out: no NIP, no name, no unit — counts per tenant and per
sector only, from the ledger of *closed* windows (so a tenant whose day is still
running shows the windows closed so far, ``windows_closed``) and the units' in-office
snapshots, gathered by :func:`services.reporting.queries.national_facts`. ``date`` is
each tenant's own local date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

from services.contracts.policy import zone_abbreviation
from services.reporting.domain import actual_office
from services.reporting.domain.daily import Counts


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


class TenantQuota(BaseModel):
    """A tenant's units against their sector quotas, by the plan and by who was really in the office
    (:mod:`.actual_office`); counts only."""

    units: int = 0
    units_meeting_quota_planned: int = 0
    units_meeting_quota_actual: int = 0
    headcount: int = 0
    planned_wfo: int = 0
    excused: int = 0
    actual_in_office: int = 0


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
    quota: TenantQuota = Field(default_factory=TenantQuota)


class NationalReport(BaseModel):
    date: date
    tenants: list[TenantFigures]
    sectors: list[SectorFigures]
    totals: Counts


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class TenantInfo:
    name: str
    kind: str
    timezone: str


@dataclass
class NationalFacts:
    """The day's aggregates as the database groups them."""

    tenants: Mapping[str, TenantInfo]
    counted: Iterable[tuple[str, str, str, int, int | None, int | None]]  # tenant, sector, status, n, out, sus
    offices: Iterable[tuple[str, str, int, int | None, int | None, int | None, int | None]]
    # tenant, sector, units, headcount, wfo, quota, units meeting it
    closed: Mapping[str, int]  # windows closed per tenant
    verified: Mapping[str, int]  # units verified per tenant
    # per unit: tenant, headcount, quota %, planned WFO, at an office place, excused
    quota_units: Iterable[tuple[str, int, int, int, int, int]] = ()


def build(day: date, f: NationalFacts) -> NationalReport:
    tenants, closed, verified = f.tenants, f.closed, f.verified
    per: dict[tuple[str, str], SectorFigures] = {}

    def cell(tenant: str, sector: str) -> SectorFigures:
        if (tenant, sector) not in per:
            per[(tenant, sector)] = SectorFigures(sector=sector, tenants=1, totals=Counts())
        return per[(tenant, sector)]

    for tenant, sector, status, n, outside, suspicious in f.counted:
        cell(tenant, sector).totals.add_group(status, n, outside, suspicious)
    units_total: dict[str, int] = defaultdict(int)
    for tenant, sector, units, headcount, wfo, quota, meeting in f.offices:
        s = cell(tenant, sector)
        s.units, s.headcount, s.wfo, s.quota_pct = units, headcount or 0, wfo or 0, quota
        s.units_meeting_quota = meeting or 0
        s.ratio = _ratio(s.wfo, s.headcount)
        units_total[tenant] += units

    quotas: dict[str, TenantQuota] = defaultdict(TenantQuota)
    for tenant, headcount, quota, wfo, present, away in f.quota_units:
        q = quotas[tenant]
        q.units += 1
        q.headcount += headcount
        q.planned_wfo += wfo
        q.excused += away
        q.actual_in_office += present
        q.units_meeting_quota_planned += bool(actual_office.meets_plan(headcount, wfo, quota))
        q.units_meeting_quota_actual += bool(actual_office.actual(headcount, away, quota, present).meets)

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
            else None, units_total=units_total.get(tid, 0), units_verified=verified.get(tid, 0), sectors=sectors,
            quota=quotas.get(tid) or TenantQuota()))

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
