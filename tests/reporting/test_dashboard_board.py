"""The dashboard's day (services/reporting/web/board.py, pure): units worst first and the list
behind the missing and late counts."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.domain.daily import Counts, InOffice, UnitDaily
from services.reporting.domain.ledger import LedgerRow
from services.reporting.web.board import attention, worst_first


def unit(unit_id: str, name: str, expected: int, missing: int, late: int) -> UnitDaily:
    return UnitDaily(unit_id=unit_id, name=name, sector="non_essential", windows=[], in_office=InOffice(),
                     totals=Counts(expected=expected, missing=missing, late=late,
                                   on_time=expected - missing - late))


def test_the_largest_share_missing_comes_first_then_late_then_the_name() -> None:
    units = [
        unit("a", "Arsip", 10, 1, 5),         # 10 % missing
        unit("b", "Bappeda", 4, 1, 0),        # 25 % missing, no late
        unit("c", "Dinas Kesehatan", 100, 25, 10),  # 25 % missing, 10 % late: before Bappeda
        unit("d", "dinas pendidikan", 3, 0, 0),
        unit("e", "Camat", 3, 0, 0),          # a tie with d: by name, case-insensitive
        unit("f", "Baru", 0, 0, 0),           # nobody expected: no share, last among the ties by name
        unit("g", "Satpol PP", 3, 3, 0),      # everyone missing
    ]
    assert [u.unit_id for u in worst_first(units)] == ["g", "c", "b", "a", "f", "e", "d"]


def test_shares_are_compared_exactly() -> None:
    # 1/3 and 333/1000 differ by less than floats show in two decimals; 1/3 is worse.
    units = [unit("x", "X", 1000, 333, 0), unit("y", "Y", 3, 1, 0)]
    assert [u.unit_id for u in worst_first(units)] == ["y", "x"]


def test_the_list_is_the_missing_and_late_rows_named_missing_first() -> None:
    at = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    rows = [
        LedgerRow(window_id="pagi", nip="1", unit_id="bkd", sector="s", status="on_time", checkin_at=at),
        LedgerRow(window_id="pagi", nip="2", unit_id="bkd", sector="s", status="late", late_minutes=7, checkin_at=at),
        LedgerRow(window_id="pagi", nip="3", unit_id="arsip", sector="s", status="missing", overdue=True),
        LedgerRow(window_id="sore", nip="2", unit_id="bkd", sector="s", status="missing", name="Budi"),
        LedgerRow(window_id="sore", nip="4", unit_id="bkd", sector="s", status=None),  # pending: not listed
        LedgerRow(window_id="sore", nip="5", unit_id="bkd", sector="s", status="excused"),  # type: ignore[arg-type]
    ]
    listed = attention(rows, {"2": "Budi", "3": "Citra"}, {"bkd": "BKD", "arsip": "Arsip"},
                       {"pagi": "Lokasi pagi", "sore": "Lokasi sore"})
    assert [(a.status, a.nip, a.window_name, a.unit_name) for a in listed] == [
        ("missing", "3", "Lokasi pagi", "Arsip"), ("missing", "2", "Lokasi sore", "BKD"),
        ("late", "2", "Lokasi pagi", "BKD")]
    assert listed[0].name == "Citra" and listed[0].overdue is True
    assert listed[2].late_minutes == 7 and listed[2].checkin_at == at
