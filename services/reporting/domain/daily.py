"""The daily report's arithmetic: counts per window and unit, in-office shares (pure).

Counts, per window (and summed over the day's windows in ``totals``):

- ``expected``: employees expected to check in (see :mod:`.expectations`);
- ``on_time`` / ``late`` / ``missing``: each expected employee once, on time beating
  late (see :mod:`.ledger`, the one rule); ``missing`` only once the deadline has passed, before
  that such people are ``pending``;
- ``outside_geofence`` / ``suspicious``: expected employees with a qualifying
  check-in outside the geofence / flagged suspicious (a subset of on time + late);
- ``excused``: windows of employees excused by an approved absence or an approved
  correction of a missing check-in — not in ``expected`` (:mod:`.decisions`);
- ``corrected``: rows whose verdict an approved correction changed (the original
  verdict is beside them in the rows).

In-office share of a unit on a day: ``wfo / headcount`` of its active employees,
from rosters and exemptions (:mod:`services.contracts.rules.work_mode`), against the
quota of the unit's sector in the letter (critical 100 %, essential 50 %, others 25 % by
default; :mod:`services.contracts.rules.quota`). The quota is met when
``wfo >= required_in_office(headcount, quota)``, i.e. ``ceil(headcount * quota / 100)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.contracts.policy import PolicyContent
from services.contracts.rules.quota import quota_pct, required_in_office
from services.reporting.domain.expectations import Placed
from services.reporting.domain.ledger import LedgerRow
from services.reporting.domain.scoring import EXCUSED


class Counts(BaseModel):
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    outside_geofence: int = 0
    suspicious: int = 0
    excused: int = 0
    corrected: int = 0

    def add(self, other: Counts) -> Counts:
        for name in Counts.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def add_group(self, status: str, n: int, outside: int | None, suspicious: int | None,
                  corrected: int | None = 0) -> Counts:
        """Add ``n`` ledger rows of ``status`` (``outside``/``suspicious``/``corrected`` of them flagged)."""
        self.expected += 0 if status == EXCUSED else n
        setattr(self, status, getattr(self, status) + n)
        self.outside_geofence += outside or 0
        self.suspicious += suspicious or 0
        self.corrected += corrected or 0
        return self

    def count(self, row: LedgerRow) -> None:
        self.expected += row.status != EXCUSED
        if row.status is None:
            self.pending += 1
        else:
            setattr(self, row.status, getattr(self, row.status) + 1)
        self.outside_geofence += row.outside_geofence
        self.suspicious += row.suspicious
        self.corrected += row.original_status is not None


class WindowSummary(Counts):
    window_id: str
    window_name: str
    kinds: list[str]
    start: datetime
    end: datetime
    deadline: datetime
    deadline_local: str
    closed: bool
    finalized: bool
    forced_close: bool = Field(default=False, description=(
        "closed after the maximum hold while check-ins accepted before the deadline may still have been in the "
        "pipeline; a verdict arriving later still updates its row (missing → late)"))


class UnitWindow(Counts):
    window_id: str


class InOffice(BaseModel):
    headcount: int = 0
    wfo: int = 0
    wfh: int = 0
    unknown: int = 0
    quota_pct: int | None = None
    required: int = 0
    ratio: float | None = None
    meets_quota: bool | None = None

    def finish(self) -> InOffice:
        self.ratio = round(self.wfo / self.headcount, 4) if self.headcount else None
        self.meets_quota = self.wfo >= self.required if self.headcount else None
        return self


class UnitDaily(BaseModel):
    unit_id: str
    name: str
    sector: str
    totals: Counts
    windows: list[UnitWindow]
    in_office: InOffice
    verified: bool = False
    verified_by: str | None = None
    verified_at: datetime | None = None
    review: Literal["accepted", "returned"] | None = None  # the BKD's decision on the sign-off
    review_note: str | None = None
    revised_after_verification: bool = Field(default=False, description=(
        "a row of the day changed after the unit head signed it off (an absence approved late, a correction, "
        "a returned report, a late check-in)"))


class SectorDaily(BaseModel):
    sector: str
    quota_pct: int | None
    units: int = 0
    units_meeting_quota: int = 0
    headcount: int = 0
    wfo: int = 0
    ratio: float | None = None
    totals: Counts


def count_rows(rows: Iterable[LedgerRow]) -> dict[tuple[str, str], Counts]:
    """Counts per (window, unit)."""
    out: dict[tuple[str, str], Counts] = defaultdict(Counts)
    for row in rows:
        out[(row.window_id, row.unit_id)].count(row)
    return out


def in_office(placed: Iterable[Placed], content: PolicyContent) -> dict[str, InOffice]:
    """In-office figures per unit, from the active people's work modes."""
    tally: dict[str, list] = {}
    for p in placed:
        if not p.person.active:
            continue
        t = tally.get(p.person.unit_id)
        if t is None:
            t = tally[p.person.unit_id] = [p.sector, 0, 0, 0, 0]
        t[1] += 1
        t[2 if p.mode == "wfo" else 3 if p.mode == "wfh" else 4] += 1
    units = {}
    for unit_id, (sector, headcount, wfo, wfh, unknown) in tally.items():
        quota = quota_pct(content, sector)
        units[unit_id] = InOffice(headcount=headcount, wfo=wfo, wfh=wfh, unknown=unknown, quota_pct=quota,
                                  required=required_in_office(headcount, quota)).finish()
    return units


def combine_in_office(parts: Iterable[InOffice]) -> InOffice:
    """Sum of several units' figures; ``meets_quota`` only when every unit meets its own."""
    total = InOffice()
    quotas: set[int | None] = set()
    all_met = True
    any_unit = False
    for part in parts:
        any_unit = True
        total.headcount += part.headcount
        total.wfo += part.wfo
        total.wfh += part.wfh
        total.unknown += part.unknown
        total.required += part.required
        quotas.add(part.quota_pct)
        all_met = all_met and part.meets_quota is not False
    total.quota_pct = quotas.pop() if len(quotas) == 1 else None
    total.finish()
    total.meets_quota = all_met if any_unit else None
    return total
