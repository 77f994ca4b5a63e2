"""Assembling the daily report of a tenant or a unit from the ledger and the read models.

Closed windows are counted from the ledger (``expectations``, grouped in SQL);
windows not closed yet are computed on the fly with the same rules
(:mod:`.expectations`, :mod:`.ledger`). In-office figures come from the snapshot
frozen with the day's first closure, or are computed on the fly before it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import PolicyContent, zone_abbreviation
from services.contracts.rules.quota import required_in_office
from services.contracts.rules.windows import window_bounds
from services.reporting import queries
from services.reporting.daily import (
    Counts,
    InOffice,
    SectorDaily,
    UnitDaily,
    UnitWindow,
    WindowSummary,
    combine_in_office,
    count_rows,
    in_office,
)
from services.reporting.expectations import expected_for_window, place
from services.reporting.ledger import LedgerRow, build_rows
from services.reporting.store import Tenant


def local_text(instant: datetime | None, tz: str, with_date: bool = True) -> str:
    """``2026-11-23 07:45:00 WIB``: an instant in the tenant's zone with its abbreviation."""
    if instant is None:
        return ""
    local = queries.aware(instant).astimezone(ZoneInfo(tz))
    fmt = "%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S"
    return f"{local.strftime(fmt)} {zone_abbreviation(tz)}"


class DailyReport(BaseModel):
    tenant: str
    tenant_name: str
    date: date
    timezone: str
    zone: str
    unit_id: str | None
    policy_number: str | None
    policy_version: int | None
    working_day: bool
    windows: list[WindowSummary]
    totals: Counts
    units: list[UnitDaily]
    sectors: list[SectorDaily]
    in_office: InOffice
    units_total: int
    units_verified: int


@dataclass
class DayDetail:
    """What exports need beyond the report: the rows per employee and window."""

    rows: list[LedgerRow] = field(default_factory=list)
    window_names: dict[str, str] = field(default_factory=dict)


async def daily_report(session: AsyncSession, tenant: Tenant, day: date, unit_id: str | None, now: datetime,
                       *, with_rows: bool = False) -> tuple[DailyReport, DayDetail]:
    detail = DayDetail()
    version = await queries.policy_for_day(session, tenant.id, day)
    content = PolicyContent.model_validate(version.content) if version is not None else None
    working = content is not None and content.is_working_day(day)
    windows = content.windows if content is not None else []
    closed_windows = await queries.closures(session, tenant.id, day)
    finalized = {w.id for w in windows if w.id in closed_windows}
    units = await queries.units(session, tenant.id)
    snapshot = await queries.unit_days(session, tenant.id, day) if finalized else {}

    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    for window_id, unit, status, n, outside, suspicious in await queries.closed_counts(session, tenant.id, day,
                                                                                        unit_id):
        c = counts[(window_id, unit)]
        c.expected += n
        setattr(c, status, getattr(c, status) + n)
        c.outside_geofence += outside or 0
        c.suspicious += suspicious or 0
    if with_rows:
        detail.rows.extend(await queries.ledger_rows(session, tenant.id, day, sorted(finalized), unit_id))

    placed = []
    live = [w for w in windows if w.id not in finalized] if working else []
    if content is not None and (live or not snapshot):
        placed = place(await queries.people(session, tenant.id, unit_id), content,
                       await queries.unit_sectors(session, tenant.id, content),
                       await queries.roster_modes(session, tenant.id, day))
    for window in live:
        assert content is not None
        _, _, deadline = window_bounds(window, day, tenant.timezone)
        rows = build_rows(window.id, expected_for_window(placed, content, day, window),
                          await queries.window_facts(session, tenant.id, day, window.id), closed=now >= deadline)
        for key, c in count_rows(rows).items():
            counts[key].add(c)
        if with_rows:
            detail.rows.extend(rows)

    if snapshot:
        office = {u: InOffice(headcount=s.headcount, wfo=s.wfo, wfh=s.wfh, unknown=s.unknown,
                              quota_pct=s.quota_pct, required=required_in_office(s.headcount, s.quota_pct)).finish()
                  for u, s in snapshot.items() if not unit_id or u == unit_id}
        sectors_of = {u: s.sector for u, s in snapshot.items()}
    elif content is not None and working:
        office = in_office(placed, content)
        sectors_of = {p.person.unit_id: p.sector for p in placed}
    else:
        office, sectors_of = {}, {}

    verifications = await queries.verifications(session, tenant.id, day)
    unit_ids = sorted({u for _, u in counts} | set(office))
    unit_reports: list[UnitDaily] = []
    for uid in unit_ids:
        unit = units.get(uid)
        sector = sectors_of.get(uid) or (unit.effective_sector if unit else "non_essential")
        per_window = [UnitWindow(window_id=w.id, **counts[(w.id, uid)].model_dump())
                      for w in windows if (w.id, uid) in counts]
        totals = Counts()
        for part in per_window:
            totals.add(Counts(**part.model_dump(exclude={"window_id"})))
        check = verifications.get(uid)
        unit_reports.append(UnitDaily(
            unit_id=uid, name=unit.name if unit else uid, sector=sector, totals=totals, windows=per_window,
            in_office=office.get(uid, InOffice()), verified=check is not None,
            verified_by=check.verified_by if check else None, verified_at=check.verified_at if check else None,
        ))

    summaries = []
    for window in windows:
        start, end, deadline = window_bounds(window, day, tenant.timezone)
        total = Counts()
        for (wid, _), c in counts.items():
            if wid == window.id:
                total.add(c)
        summaries.append(WindowSummary(
            window_id=window.id, window_name=window.name, kinds=[k.value for k in window.kinds], start=start,
            end=end, deadline=deadline, deadline_local=local_text(deadline, tenant.timezone),
            closed=now >= deadline, finalized=window.id in finalized, **total.model_dump()))
        detail.window_names[window.id] = window.name

    by_sector: dict[str, list[UnitDaily]] = defaultdict(list)
    for u in unit_reports:
        by_sector[u.sector].append(u)
    sector_reports = []
    for sector in sorted(by_sector):
        members = by_sector[sector]
        figures = combine_in_office(u.in_office for u in members)
        totals = Counts()
        for u in members:
            totals.add(u.totals)
        sector_reports.append(SectorDaily(
            sector=sector, quota_pct=figures.quota_pct, units=len(members),
            units_meeting_quota=sum(1 for u in members if u.in_office.meets_quota),
            headcount=figures.headcount, wfo=figures.wfo, ratio=figures.ratio, totals=totals))

    totals = Counts()
    for s in summaries:
        totals.add(Counts(**s.model_dump(include=set(Counts.model_fields))))
    report = DailyReport(
        tenant=tenant.id, tenant_name=tenant.name, date=day, timezone=tenant.timezone,
        zone=zone_abbreviation(tenant.timezone), unit_id=unit_id,
        policy_number=version.number if version else None, policy_version=version.version if version else None,
        working_day=working, windows=summaries, totals=totals, units=unit_reports, sectors=sector_reports,
        in_office=combine_in_office(u.in_office for u in unit_reports),
        units_total=len(unit_reports), units_verified=sum(1 for u in unit_reports if u.verified),
    )
    return report, detail
