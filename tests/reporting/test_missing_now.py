"""The dashboard's "belum check-in" list, decided by the pure builder with explicit times
(:mod:`services.reporting.domain.missing_now`), on the very rules the daily report applies:

- the window open now: start reached and deadline (end + grace) not yet, on a working day of the
  letter; overlapping windows give the one due first; none open gives no window and nobody;
- who is listed: expected in that window, no check-in filling it yet, not excused — a check-in
  (on time or late), an approved absence, being inactive and a WFO day for a WFH-only window each
  keep someone off the list; sorted by unit name, then name;
- phone numbers become WhatsApp and telephone links (Indonesian numbers in their usual spellings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from services.contracts.policy import CheckinKind, PolicyContent, Sector, Window
from services.contracts.rules.calendar import TenantCalendar
from services.reporting.domain.decisions import Decisions
from services.reporting.domain.expectations import Person, expected_for_window, place
from services.reporting.domain.ledger import Fact, build_rows
from services.reporting.domain.missing_now import build, links, normalized, open_window, pending
from services.reporting.domain.windows import DayWindow, day_windows

TZ = "Asia/Makassar"  # WITA, UTC+8
DAY = date(2026, 3, 10)  # a Tuesday
SATURDAY = date(2026, 3, 14)
K = CheckinKind
NO_HOLIDAYS = TenantCalendar(national=False, cuti_bersama=False)


@dataclass(frozen=True)
class Letter:
    version: int
    valid_from: date
    valid_until: date | None
    effective_at: datetime
    number: str
    content: dict[str, Any]


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A WITA wall-clock time as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def content(working_days: list[int] | None = None) -> PolicyContent:
    return PolicyContent(working_days=working_days or [1, 2, 3, 4, 5, 6, 7], windows=[
        Window(id="apel", name="Apel pagi", start=time(7, 0), end=time(7, 30), grace_minutes=15,
               kinds=[K.ATTENDANCE]),
        Window(id="rapat", name="Rapat daring", start=time(7, 20), end=time(8, 10), kinds=[K.VIDEO_CONFERENCE]),
        Window(id="lokasi", name="Lokasi pagi", start=time(8, 0), end=time(9, 0), grace_minutes=15,
               kinds=[K.LOCATION]),
    ])


def windows(day: date = DAY, working_days: list[int] | None = None) -> list[DayWindow]:
    letter = Letter(1, date(2026, 3, 1), None, datetime(2026, 3, 1, tzinfo=UTC), "800/1-BKD/2026",
                    content(working_days).model_dump(mode="json"))
    return day_windows([letter], day, TZ)


def open_at(now: datetime, day: date = DAY, working_days: list[int] | None = None) -> str | None:
    found = open_window(windows(day, working_days), day, now, NO_HOLIDAYS)
    return found.window.id if found else None


def test_the_open_window_is_the_one_between_its_start_and_its_deadline() -> None:
    assert open_at(at(6, 59)) is None, "before the first window"
    assert open_at(at(7, 0)) == "apel", "from its start"
    assert open_at(at(7, 25)) == "apel", "apel and rapat overlap: apel is due first"
    assert open_at(at(7, 44)) == "apel", "in apel's grace: check-ins still count"
    assert open_at(at(7, 45)) == "rapat", "apel's deadline passed"
    assert open_at(at(8, 5)) == "rapat", "rapat (08:10) is due before lokasi (09:15)"
    assert open_at(at(8, 10)) == "lokasi"
    assert open_at(at(9, 14)) == "lokasi"
    assert open_at(at(9, 15)) is None, "a deadline is not part of its window"
    assert open_at(at(12, 0)) is None


def test_no_window_is_open_on_a_day_the_letter_does_not_work() -> None:
    assert open_at(at(7, 10, SATURDAY), SATURDAY) == "apel"
    assert open_at(at(7, 10, SATURDAY), SATURDAY, working_days=[1, 2, 3, 4, 5]) is None
    holiday = TenantCalendar(national=False, cuti_bersama=False, added=[{"date": DAY, "name": "Hari jadi"}])
    assert open_window(windows(), DAY, at(7, 10), holiday) is None, "the tenant's own holiday"
    nothing = build(DAY, TZ, None, [], 0, {}, {})
    assert (nothing.window, nothing.rows, nothing.total, nothing.zone) == (None, [], 0, "WITA")


PEOPLE = {  # NIP → (name, unit, active)
    "198001012005011001": ("Budi Santoso", "dinkes", True),
    "198001012005011002": ("Ani Wijaya", "bkd", True),  # checks in on time
    "198001012005011003": ("Citra Lestari", "bkd", True),  # on sick leave
    "198001012005011004": ("dewi Rahma", "bkd", True),  # lower case: sorted without case
    "198001012005011005": ("Eko Prasetyo", "bkd", False),  # inactive
    "198001012005011006": ("Fajar Nugroho", "bkd", True),  # checks in late
    "198001012005011007": ("Gita Ayu", "bkd", True),  # WFO today (roster)
    "198001012005011008": ("Agus Salim", "bkd", True),
}
UNITS = {"bkd": "Badan Kepegawaian Daerah", "dinkes": "Dinas Kesehatan"}
PHONES = {"198001012005011001": "0812-3456-7890", "198001012005011004": "+62 21 5550 123"}


def listed(now: datetime, facts: dict[str, Fact] | None = None,
           decisions: dict[str, Decisions] | None = None, limit: int = 100) -> Any:
    """The list at ``now``: the people placed by the letter, asked by the window open, their rows
    decided by the ledger's rule (not closed: before the deadline) — as the route gathers them."""
    day_windows_ = windows()
    current = open_window(day_windows_, DAY, now, NO_HOLIDAYS)
    if current is None:
        return build(DAY, TZ, None, [], 0, UNITS, PHONES)
    people = [Person(nip=n, unit_id=u, active=a, name=name) for n, (name, u, a) in PEOPLE.items()]
    placed = place(people, current.content, {"bkd": Sector.NON_ESSENTIAL.value, "dinkes": Sector.NON_ESSENTIAL.value},
                   {"198001012005011007": "wfo"})
    asked = expected_for_window(placed, current.content, DAY, current.window, NO_HOLIDAYS)
    rows = build_rows(current.window.id, asked, facts or {}, closed=False, decisions=decisions)
    shown, total = pending(current, rows, UNITS, limit)
    return build(DAY, TZ, current, shown, total, UNITS, PHONES)


def test_only_those_expected_who_have_not_checked_in_and_are_not_excused_are_listed() -> None:
    facts = {"198001012005011002": Fact(on_time=True, checkin_at=at(8, 20)),
             "198001012005011006": Fact(late=True, late_minutes=5, checkin_at=at(9, 5))}
    decisions = {"198001012005011003": Decisions(absence_kind="sakit")}
    result = listed(at(9, 10), facts, decisions)
    assert result.window is not None and result.window.window_id == "lokasi"
    assert (result.window.window_name, result.window.start.isoformat(), result.window.deadline.isoformat()) == (
        "Lokasi pagi", "2026-03-10T08:00:00+08:00", "2026-03-10T09:15:00+08:00")
    assert [(r.unit_name, r.name) for r in result.rows] == [
        ("Badan Kepegawaian Daerah", "Agus Salim"), ("Badan Kepegawaian Daerah", "dewi Rahma"),
        ("Dinas Kesehatan", "Budi Santoso")]
    assert result.total == 3 and (result.date, result.zone) == (DAY, "WITA")

    # Before anyone checked in, in the same window: every active WFH employee not on leave.
    everyone = listed(at(8, 1), decisions={"198001012005011003": Decisions(absence_kind="sakit")})
    assert [r.name for r in everyone.rows] == ["Agus Salim", "Ani Wijaya", "dewi Rahma", "Fajar Nugroho",
                                               "Budi Santoso"]

    # A window of attendance is asked of the WFO employee too.
    apel = listed(at(7, 10))
    assert "Gita Ayu" in [r.name for r in apel.rows] and "Gita Ayu" not in [r.name for r in everyone.rows]
    assert "Eko Prasetyo" not in [r.name for r in apel.rows], "inactive"


def test_the_list_is_cut_at_the_limit_and_says_how_many_there_are() -> None:
    result = listed(at(8, 1), limit=2)
    assert [r.name for r in result.rows] == ["Agus Salim", "Ani Wijaya"] and result.total == 6  # Citra too


def test_rows_carry_the_unit_name_and_contact_links() -> None:
    rows = {r.name: r for r in listed(at(8, 1)).rows}
    budi = rows["Budi Santoso"]
    assert (budi.unit_id, budi.phone, budi.whatsapp_url, budi.tel_url) == (
        "dinkes", "+6281234567890", "https://wa.me/6281234567890", "tel:+6281234567890")
    dewi = rows["dewi Rahma"]  # a Jakarta landline: a call, not WhatsApp
    assert (dewi.phone, dewi.whatsapp_url, dewi.tel_url) == ("+62215550123", None, "tel:+62215550123")
    ani = rows["Ani Wijaya"]
    assert (ani.phone, ani.whatsapp_url, ani.tel_url) == (None, None, None)


@pytest.mark.parametrize(("raw", "number"), [
    ("081234567890", "6281234567890"),
    ("0812-3456-7890", "6281234567890"),
    ("0812 3456 7890", "6281234567890"),
    ("(0812) 3456.7890", "6281234567890"),
    ("+6281234567890", "6281234567890"),
    ("+62 812-3456-7890", "6281234567890"),
    ("6281234567890", "6281234567890"),
    ("+62 0812 3456 7890", "6281234567890"),  # a stray trunk 0 after the country code
    ("81234567890", "6281234567890"),
    ("021-5550123", "62215550123"),
    ("+60 12-345 6789", "60123456789"),  # Malaysia, written with its code
    ("", None), (None, None), ("-", None), ("08", None), ("0812345", None), ("0812345678901234", None),
    ("+62 00812345678", None), ("12345678", None), ("0812abc", None), ("+", None), ("++6281234567890", None),
])
def test_phone_numbers_are_normalized(raw: str | None, number: str | None) -> None:
    assert normalized(raw) == number


def test_links_of_a_number() -> None:
    assert links("0812 3456 7890") == ("+6281234567890", "https://wa.me/6281234567890", "tel:+6281234567890")
    assert links("+60 12-345 6789") == ("+60123456789", "https://wa.me/60123456789", "tel:+60123456789")
    assert links("(021) 555-0123") == ("+62215550123", None, "tel:+62215550123")
    assert links("ext. 12") == ("ext. 12", None, None), "not a number: shown as stored, no link"
    assert links(None) == (None, None, None) and links("  ") == (None, None, None)
