"""The employee's day (services.checkin.domain.schedule), pure: explicit days and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.checkin.domain.schedule import Day, Filled, day_schedule, tally
from services.contracts.policy import PolicyContent
from services.contracts.rules.calendar import CalendarDay, TenantCalendar

MONDAY = date(2026, 3, 2)  # a working day with no national holiday
NO_NATIONAL = TenantCalendar(national=False, cuti_bersama=False)
CONTENT = PolicyContent()  # the seeds' schedule: attendance 07:00-07:30 (+15), location-1 08:00-09:00 (+15), …


def at(clock: time, tz: str = "Asia/Jakarta", day: date = MONDAY) -> datetime:
    return datetime.combine(day, clock, ZoneInfo(tz)).astimezone(UTC)


def build(now: datetime, *, tz: str = "Asia/Jakarta", day: date = MONDAY, checkins: list[Filled] | None = None,
          calendar: TenantCalendar | None = NO_NATIONAL, active: bool = True, absent: bool = False,
          mode: str | None = None) -> Day:
    return day_schedule(CONTENT, day, now, tz, calendar=calendar, active=active, checkins=checkins or [],
                        absent=absent, mode=mode)  # type: ignore[arg-type]


def states(d: Day) -> dict[str, str]:
    return {w.window.id: w.state for w in d.windows}


def test_windows_come_in_start_order_with_their_bounds_in_the_tenant_zone() -> None:
    d = build(at(time(6, 0)))
    assert [w.window.id for w in d.windows] == ["attendance", "location-1", "activity-report", "location-2",
                                                "video-conference", "location-3"]
    attendance = d.windows[0]
    assert attendance.bounds.start == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 07:00 WIB
    assert attendance.bounds.deadline == datetime(2026, 3, 2, 0, 45, tzinfo=UTC)  # 07:30 + 15 min
    assert set(states(d).values()) == {"upcoming"}
    assert d.due is None and d.next == "attendance"


@pytest.mark.parametrize(("tz", "offset"), [("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)])
def test_the_same_local_schedule_in_wib_wita_and_wit(tz: str, offset: int) -> None:
    d = build(at(time(8, 10), tz), tz=tz)
    location = next(w for w in d.windows if w.window.id == "location-1")
    assert location.bounds.start == datetime(2026, 3, 2, 8, 0, tzinfo=UTC) - timedelta(hours=offset)
    assert location.state == "open" and d.due == "location-1"


def test_open_late_missed_and_next_at_one_instant() -> None:
    d = build(at(time(9, 5)))  # location-1 ended at 09:00, its deadline is 09:15
    assert states(d) == {"attendance": "missed", "location-1": "open", "activity-report": "open",
                         "location-2": "upcoming", "video-conference": "upcoming", "location-3": "upcoming"}
    location = next(w for w in d.windows if w.window.id == "location-1")
    report = next(w for w in d.windows if w.window.id == "activity-report")
    assert location.late and not report.late
    assert d.due == "location-1"  # of the two open, the one that closes first
    assert d.next == "location-2"


def test_a_judged_checkin_fills_its_window_and_a_pending_one_the_window_it_was_captured_in() -> None:
    judged = Filled("a", "attendance", at(time(7, 40)), "late", "attendance")
    pending = Filled("b", "location", at(time(8, 20)), "pending", None)
    d = build(at(time(8, 30)), checkins=[judged, pending])
    assert states(d)["attendance"] == "done" and states(d)["location-1"] == "done"
    assert next(w for w in d.windows if w.window.id == "location-1").checkin == pending
    assert states(d)["location-2"] == "upcoming"  # a pending share fills only the window it fell in
    assert d.due == "activity-report"


def test_a_pending_checkin_outside_every_window_fills_none() -> None:
    d = build(at(time(10, 0)), checkins=[Filled("c", "location", at(time(10, 0)), "pending", None)])
    assert "done" not in states(d).values()


def test_nothing_is_asked_on_a_holiday_and_the_holiday_is_named() -> None:
    calendar = TenantCalendar(national=False, cuti_bersama=False,
                              added=[CalendarDay(date=MONDAY, name="HUT Provinsi")])
    d = build(at(time(8, 10)), calendar=calendar)
    assert {w.state for w in d.windows} == {"not_required"}
    assert {w.reason for w in d.windows} == {"non_working_day"}
    assert d.holiday is not None and d.holiday.name == "HUT Provinsi"
    assert d.due is None and d.next is None


def test_a_weekend_is_not_a_working_day_of_the_letter() -> None:
    saturday = MONDAY + timedelta(days=5)
    d = build(at(time(8, 10), day=saturday), day=saturday)
    assert {w.reason for w in d.windows} == {"non_working_day"}


def test_absent_inactive_and_wfo_days() -> None:
    now = at(time(8, 10))
    assert {w.reason for w in build(now, absent=True).windows} == {"absent"}
    assert {w.reason for w in build(now, active=False).windows} == {"inactive"}
    wfo = build(now, mode="wfo")
    assert states(wfo)["attendance"] == "missed"  # attendance is asked in the office too
    assert states(wfo)["location-1"] == "not_required"
    assert wfo.due is None


def test_a_checkin_on_a_day_nothing_is_asked_still_shows_as_done() -> None:
    done = Filled("d", "attendance", at(time(7, 5)), "not_required", "attendance")
    d = build(at(time(8, 0)), absent=True, checkins=[done])
    attendance = d.windows[0]
    assert attendance.state == "done" and attendance.reason == "absent"


def test_a_day_is_tallied_from_the_windows_asked() -> None:
    late_outside = Filled("a", "location", at(time(8, 40)), "late", "location-1")
    on_time = Filled("b", "attendance", at(time(7, 10)), "on_time", "attendance")
    d = build(at(time(12, 45)), checkins=[late_outside, on_time])
    t = tally(d, {"a": ("late", "outside"), "b": ("on_time", "inside")})
    # attendance and location-1 filled; location-2 (deadline 12:45) missed; activity, video, location-3 open/upcoming
    assert (t.asked, t.filled, t.late, t.outside, t.missed, t.open) == (6, 2, 1, 1, 1, 3)
    wfo = tally(build(at(time(17, 0)), mode="wfo"), {})
    assert (wfo.asked, wfo.missed) == (1, 1)  # only attendance is asked in the office
