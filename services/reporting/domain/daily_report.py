"""The daily report of a tenant or a unit, built from facts gathered beforehand (pure).

:func:`build` takes what the database holds for the day — the ledger counts of the
closed windows, the rows of windows not closed yet (built by the one rule,
:func:`.ledger.build_rows`), the in-office figures, units and sign-offs — and returns
the report: per window, per unit, per sector and for the tenant. Gathering is
:mod:`services.reporting.reports`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from services.contracts.policy import zone_abbreviation
from services.contracts.rules.versions import aware
from services.reporting.domain import actual_office
from services.reporting.domain.actual_office import QuotaDay, UnitPlan
from services.reporting.domain.daily import (
    Counts,
    InOffice,
    SectorDaily,
    UnitDaily,
    UnitWindow,
    WindowSummary,
    combine_in_office,
    count_rows,
)
from services.reporting.domain.ledger import LedgerRow
from services.reporting.domain.windows import DayWindow, Letter


def local_text(instant: datetime | None, tz: str, with_date: bool = True) -> str:
    """``2026-11-23 07:45:00 WIB``: an instant in the tenant's zone with its abbreviation."""
    if instant is None:
        return ""
    local = aware(instant).astimezone(ZoneInfo(tz))
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
    quota: QuotaDay = Field(default_factory=QuotaDay)  # actual in the office vs the quota (.actual_office)


@dataclass(frozen=True)
class UnitInfo:
    name: str
    effective_sector: str
    active: bool = True


@dataclass(frozen=True)
class SignOff:
    verified_by: str
    verified_at: datetime
    review: Literal["accepted", "returned"] | None = None  # the BKD's decision (a returned day is not verified)
    review_note: str | None = None


@dataclass
class DayFacts:
    """Everything the report of one day says, as gathered from the read models and the ledger."""

    tenant: str
    tenant_name: str
    timezone: str
    day: date
    unit_id: str | None
    now: datetime
    letter: Letter | None  # the version of the day, named in the report's header
    working_day: bool
    windows: Sequence[DayWindow]
    finalized: set[str]  # ids of the windows closed (their rows are in the ledger)
    # window, unit, status, n, outside, suspicious, corrected
    ledger_counts: Iterable[tuple[str, str, str, int, int | None, int | None, int | None]]
    live_rows: Sequence[LedgerRow]  # rows of windows not closed yet
    office: Mapping[str, InOffice]
    sectors_of: Mapping[str, str]
    units: Mapping[str, UnitInfo]
    sign_offs: Mapping[str, SignOff] = field(default_factory=dict)
    forced: set[str] = field(default_factory=set)  # ids of the windows whose closure was forced
    at_office: Mapping[str, int] = field(default_factory=dict)  # unit → people checked in at an office place
    excused: Mapping[str, int] = field(default_factory=dict)  # unit → people excused that day
    revised: Mapping[str, datetime] = field(default_factory=dict)  # unit → a row last changed after closing


def build(f: DayFacts) -> DailyReport:
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    for window_id, unit_id, status, n, outside, suspicious, corrected in f.ledger_counts:
        counts[(window_id, unit_id)].add_group(status, n, outside, suspicious, corrected)
    for key, c in count_rows(f.live_rows).items():
        counts[key].add(c)

    unit_reports: list[UnitDaily] = []
    for uid in sorted({u for _, u in counts} | set(f.office)):
        unit = f.units.get(uid)
        per_window = [UnitWindow(window_id=w.window.id, **counts[(w.window.id, uid)].model_dump())
                      for w in f.windows if (w.window.id, uid) in counts]
        totals = Counts()
        for part in per_window:
            totals.add(Counts(**part.model_dump(exclude={"window_id"})))
        check = f.sign_offs.get(uid)
        unit_reports.append(UnitDaily(
            unit_id=uid, name=unit.name if unit else uid,
            sector=f.sectors_of.get(uid) or (unit.effective_sector if unit else "non_essential"),
            totals=totals, windows=per_window, in_office=f.office.get(uid, InOffice()),
            verified=check is not None and check.review != "returned",
            verified_by=check.verified_by if check else None, verified_at=check.verified_at if check else None,
            review=check.review if check else None, review_note=check.review_note if check else None,
            revised_after_verification=check is not None and uid in f.revised
            and aware(f.revised[uid]) > aware(check.verified_at),
        ))

    summaries = []
    for w in f.windows:
        total = Counts()
        for (wid, _), c in counts.items():
            if wid == w.window.id:
                total.add(c)
        start, end, deadline = w.bounds
        summaries.append(WindowSummary(
            window_id=w.window.id, window_name=w.window.name, kinds=[k.value for k in w.window.kinds], start=start,
            end=end, deadline=deadline, deadline_local=local_text(deadline, f.timezone),
            closed=f.now >= deadline, finalized=w.window.id in f.finalized, forced_close=w.window.id in f.forced,
            **total.model_dump()))

    totals = Counts()
    for s in summaries:
        totals.add(Counts(**s.model_dump(include=set(Counts.model_fields))))
    return DailyReport(
        tenant=f.tenant, tenant_name=f.tenant_name, date=f.day, timezone=f.timezone,
        zone=zone_abbreviation(f.timezone), unit_id=f.unit_id,
        policy_number=f.letter.number if f.letter else None, policy_version=f.letter.version if f.letter else None,
        working_day=f.working_day, windows=summaries, totals=totals, units=unit_reports,
        sectors=_sectors(unit_reports), in_office=combine_in_office(u.in_office for u in unit_reports),
        units_total=len(unit_reports), units_verified=sum(1 for u in unit_reports if u.verified),
        quota=actual_office.build([UnitPlan(u.unit_id, u.name, u.sector, u.in_office) for u in unit_reports
                                   if u.unit_id in f.office], f.at_office, f.excused),
    )


def _sectors(units: Iterable[UnitDaily]) -> list[SectorDaily]:
    by_sector: dict[str, list[UnitDaily]] = defaultdict(list)
    for u in units:
        by_sector[u.sector].append(u)
    out = []
    for sector in sorted(by_sector):
        members = by_sector[sector]
        figures = combine_in_office(u.in_office for u in members)
        totals = Counts()
        for u in members:
            totals.add(u.totals)
        out.append(SectorDaily(
            sector=sector, quota_pct=figures.quota_pct, units=len(members),
            units_meeting_quota=sum(1 for u in members if u.in_office.meets_quota),
            headcount=figures.headcount, wfo=figures.wfo, ratio=figures.ratio, totals=totals))
    return out
