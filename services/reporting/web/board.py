"""What the dashboard shows for a day, built from the daily report and its rows (pure).

One set of facts feeds the tiles and the lists: :func:`build` takes the report *and* the rows
it was counted from (one call of :func:`services.reporting.reports.daily_report`), so the
"Tidak lapor" tile and the list of who did not report are the same rows counted and listed —
never a ledger count beside a list of notices sent, or two different moments.

Units come worst first (:func:`worst_first`): the largest share of missing among the expected,
then of late, ties by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, Field

from services.reporting.domain.daily import UnitDaily
from services.reporting.domain.daily_report import DailyReport
from services.reporting.domain.ledger import LedgerRow

ATTENTION = ("missing", "late")  # the statuses the lists show, in this order


class Attention(BaseModel):
    """One expected check-in a head acts on: not reported (missing) or late."""

    nip: str
    name: str
    unit_id: str
    unit_name: str
    window_id: str
    window_name: str
    status: Literal["missing", "late"]
    late_minutes: int = 0
    checkin_at: datetime | None = None
    overdue: bool = Field(default=False, description="a report.overdue notice went out for it")


class Board(BaseModel):
    """The day's report (units worst first) and the people behind its missing and late counts."""

    report: DailyReport
    attention: list[Attention]


def shares(unit: UnitDaily) -> tuple[Fraction, Fraction]:
    """(missing, late) among the expected of the unit's day; 0 when nobody was expected."""
    expected = unit.totals.expected
    if not expected:
        return Fraction(0), Fraction(0)
    return Fraction(unit.totals.missing, expected), Fraction(unit.totals.late, expected)


def worst_first(units: Iterable[UnitDaily]) -> list[UnitDaily]:
    """Largest share of missing first, then of late; ties by name (then id)."""
    def key(unit: UnitDaily) -> tuple[Fraction, Fraction, str, str]:
        missing, late = shares(unit)
        return -missing, -late, unit.name.casefold(), unit.unit_id

    return sorted(units, key=key)


def attention(rows: Iterable[LedgerRow], names: Mapping[str, str], unit_names: Mapping[str, str],
              window_names: Mapping[str, str]) -> list[Attention]:
    """The rows the missing and late counts were made of, named: missing first, then by unit, name, window."""
    chosen = [r for r in rows if r.status in ATTENTION]
    listed = [Attention(nip=r.nip, name=r.name or names.get(r.nip, ""), unit_id=r.unit_id,
                        unit_name=unit_names.get(r.unit_id, r.unit_id), window_id=r.window_id,
                        window_name=window_names.get(r.window_id, r.window_id),
                        status=r.status,  # type: ignore[arg-type]
                        late_minutes=r.late_minutes, checkin_at=r.checkin_at, overdue=r.overdue) for r in chosen]
    return sorted(listed, key=lambda a: (ATTENTION.index(a.status), a.unit_name.casefold(), a.name.casefold(),
                                         a.nip, a.window_id))


def build(report: DailyReport, rows: Iterable[LedgerRow], names: Mapping[str, str],
          window_names: Mapping[str, str]) -> Board:
    units = worst_first(report.units)
    unit_names = {u.unit_id: u.name for u in report.units}
    return Board(report=report.model_copy(update={"units": units}),
                 attention=attention(rows, names, unit_names, window_names))
