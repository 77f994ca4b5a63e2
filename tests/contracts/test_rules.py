"""The shared rules (``services.contracts.rules``) over the cases each former copy handled.

Former copies: ``policy/domain/letters.in_force``/``planned``, ``checkin/domain.late_limit_hours``,
``checkin/web/routes.in_force``, ``reporting/queries.pick_version``/``policy_for_day`` (versions);
``policy/domain/sectors.resolve`` and ``reporting/expectations.resolve_sectors``/``unit_sector``
(sectors); ``policy/domain/requirement`` and ``reporting/expectations`` (exemption, work
mode, WFH-only kinds, whether a window is asked); ``contracts/policy.window_bounds`` and
``policy/domain/schedule.window_bounds`` (window bounds).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.contracts.events import EmployeeRecord
from services.contracts.policy import CheckinKind, Exemptions, PolicyContent, Role, Sector, Window
from services.contracts.rules.requirement import WFH_ONLY_KINDS, asks, requirement
from services.contracts.rules.sectors import ancestry, directory_sectors, resolve, resolve_all, would_cycle
from services.contracts.rules.versions import (
    at_capture,
    earliest_covering,
    for_day,
    in_force,
    until_as_known_at,
)
from services.contracts.rules.windows import window_bounds
from services.contracts.rules.work_mode import ExemptionRule, is_exempt, roles_of, unit_mode, work_mode_of
from tests.support.versions import V

K = CheckinKind
C, E, N = Sector.CRITICAL, Sector.ESSENTIAL, Sector.NON_ESSENTIAL
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 WIB


# --- versions ------------------------------------------------------------------------


MAR1, FEB1, FEB28, APR1 = date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28), date(2026, 4, 1)
V1 = V(1, MAR1, None, datetime(2026, 2, 28, tzinfo=UTC))
V2 = V(2, MAR1, None, datetime(2026, 3, 5, tzinfo=UTC))
V3_LATER = V(3, MAR1, None, NOW + timedelta(hours=1))  # issued after the capture
ENDED = V(1, FEB1, FEB28, datetime(2026, 1, 30, tzinfo=UTC))
FIRST = V(1, MAR1, None, NOW + timedelta(days=1))
SECOND = V(2, MAR1, None, NOW + timedelta(days=2))
NAIVE = V(1, MAR1, None, datetime(2026, 3, 1))  # noqa: DTZ001 (SQLite drops the offset)
VOID = V(2, date(2026, 3, 20), date(2026, 3, 19), datetime(2026, 3, 2, tzinfo=UTC))
# Closed by a version that took effect on 6 March: as known on the 4th it still ran to the 31st.
CLOSED = V(1, MAR1, date(2026, 3, 5), datetime(2026, 2, 27, tzinfo=UTC), date(2026, 3, 31),
           datetime(2026, 3, 6, tzinfo=UTC))
RETRO = V(2, date(2026, 3, 6), None, datetime(2026, 3, 6, tzinfo=UTC))
TIE_1, TIE_2 = V(1, MAR1, None, V1.effective_at), V(2, MAR1, None, V1.effective_at)


@pytest.mark.parametrize(("versions", "day", "at", "expected"), [
    # checkin/domain.late_limit_hours and checkin/web/routes.in_force
    ([], date(2026, 3, 10), NOW, None),
    ([V1, V2, V3_LATER], date(2026, 3, 10), NOW, V2),
    ([V1, V3_LATER], date(2026, 3, 10), NOW, V1),
    ([ENDED], date(2026, 3, 10), NOW, None),
    ([SECOND, FIRST], date(2026, 3, 10), NOW, FIRST),  # captured before any took effect
    ([NAIVE], date(2026, 3, 10), NOW, NAIVE),
    # policy/domain/letters: a void version is never in force
    ([V1, VOID], date(2026, 3, 20), NOW + timedelta(days=15), V1),
])
def test_the_version_a_capture_falls_under(versions, day, at, expected):
    assert at_capture(versions, day, at) is expected


def test_as_known_at_a_capture_a_later_closing_does_not_count():
    versions = [CLOSED, RETRO]
    day = date(2026, 3, 8)
    assert in_force(versions, day, datetime(2026, 3, 4, tzinfo=UTC), until_as_known_at) is CLOSED
    assert in_force(versions, day, datetime(2026, 3, 7, tzinfo=UTC), until_as_known_at) is RETRO
    assert in_force(versions, day, datetime(2026, 3, 4, tzinfo=UTC)) is None  # closed range as published
    assert earliest_covering(versions, day) is RETRO


@pytest.mark.parametrize(("versions", "day", "expected"), [
    # reporting/queries.pick_version, policy_for_day and policy/domain/letters.planned
    ([], MAR1, None),
    ([V1, V2], date(2026, 3, 10), V2),
    ([V2, V1], date(2026, 3, 10), V2),
    ([V1, V2, V3_LATER], date(2026, 3, 10), V3_LATER),  # with everything known now
    ([ENDED, V1], FEB28, ENDED),
    ([ENDED], date(2026, 3, 10), None),
    ([V1, VOID], date(2026, 3, 20), V1),
    ([CLOSED, RETRO], date(2026, 3, 5), CLOSED),
    ([CLOSED, RETRO], date(2026, 3, 6), RETRO),
    ([TIE_2, TIE_1], MAR1, TIE_2),  # same moment: the higher number
])
def test_the_version_for_a_day(versions, day, expected):
    assert for_day(versions, day) is expected


def test_the_capture_day_decides_not_the_utc_day():
    # 2026-03-31 16:30 UTC is already 1 April in Jayapura (UTC+9) but still 31 March in Jakarta.
    april = V(1, APR1, None, datetime(2026, 3, 1, tzinfo=UTC))
    assert at_capture([april], APR1, datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) is april
    assert at_capture([april], date(2026, 3, 31), datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) is None


# --- sectors ---------------------------------------------------------------------------

TREE = {"dinkes": None, "uptd-labkes": "dinkes", "pos": "uptd-labkes", "rsud": "dinkes", "bkd": None}


@pytest.mark.parametrize(("unit", "own", "letter", "default", "expected"), [
    # policy/domain/sectors.resolve
    ("uptd-labkes", {"dinkes": C, "rsud": E}, {}, N, C),  # inherited
    ("rsud", {"dinkes": C, "rsud": E}, {}, N, E),  # its own statement
    ("pos", {"dinkes": E, "uptd-labkes": N}, {"dinkes": C}, N, N),  # the nearer statement wins
    ("pos", {"dinkes": E, "uptd-labkes": N}, {"uptd-labkes": C}, N, C),  # the letter first at a level
    ("rsud", {"dinkes": E, "uptd-labkes": N}, {"dinkes": C}, N, C),
    ("bkd", {}, {}, N, N),  # nobody says: non-essential
    # reporting/expectations.resolve_sectors: a chain cut short keeps the directory's answer
    ("bkd", {}, {}, E, E),
    # reporting/expectations.unit_sector and policy's unknown unit: the letter's, else the default
    ("ghost", {}, {"ghost": C}, N, C),
    ("ghost", {}, {}, N, N),
])
def test_a_units_sector(unit, own, letter, default, expected):
    assert resolve(unit, TREE, own, letter, default) == expected


def test_every_units_sector_at_once_and_the_directorys_own_view():
    own = {"dinkes": C, "rsud": E}
    assert directory_sectors(TREE, own) == {"dinkes": C, "uptd-labkes": C, "pos": C, "rsud": E, "bkd": N}
    assert resolve_all(TREE, own, {"bkd": E}) == {"dinkes": C, "uptd-labkes": C, "pos": C, "rsud": E, "bkd": E}
    cut = {"upt": "unknown-parent"}
    assert resolve_all(cut, {}, {}, {"upt": C}) == {"upt": C}


def test_loops_and_dangling_parents_never_hang():
    loop = {"a": "b", "b": "a", "c": "ghost"}
    assert ancestry("a", loop) == ["a", "b"]
    assert ancestry("c", loop) == ["c", "ghost"]
    assert resolve("a", loop, {}) == N
    assert would_cycle("dinkes", "pos", TREE)
    assert not would_cycle("bkd", "pos", TREE)


# --- exemption and work mode -------------------------------------------------------------


def staff(unit: str = "bkd", **flags: bool) -> EmployeeRecord:
    return EmployeeRecord(nip="198503122010011003", name="Siti", unit_id=unit, **flags)


DEFAULT = PolicyContent()
HEADS = PolicyContent(exemptions=Exemptions(roles=[Role.UNIT_HEAD]))
SATPOL = PolicyContent(exemptions=Exemptions(unit_ids=["satpolpp"]))
ALL_HOME = PolicyContent(sector_quotas={N: 0})
NO_CRITICAL_QUOTA = PolicyContent(sector_quotas={E: 50, N: 25})


@pytest.mark.parametrize(("content", "employee", "unit", "sector", "roster", "mode"), [
    # exempt: always WFO, whatever the roster (policy/domain/requirement, reporting/expectations)
    (DEFAULT, staff(is_teacher=True), "bkd", N, "wfh", "wfo"),
    (DEFAULT, staff(is_front_line=True), "bkd", N, None, "wfo"),
    (DEFAULT, staff(is_unit_head=True), "bkd", N, "wfh", "wfh"),  # unit heads only if the letter says
    (HEADS, staff(is_unit_head=True), "bkd", N, "wfh", "wfo"),
    (HEADS, staff(is_teacher=True), "bkd", N, "wfh", "wfh"),  # the letter's list replaces the default
    (SATPOL, staff("satpolpp"), "satpolpp", N, "wfh", "wfo"),
    (SATPOL, None, "satpolpp", N, None, "wfo"),  # unknown employee: the unit counts
    (DEFAULT, None, "bkd", N, None, None),
    # else the roster
    (DEFAULT, staff(), "bkd", N, "wfo", "wfo"),
    (DEFAULT, staff(), "bkd", C, "wfh", "wfh"),
    (DEFAULT, staff(), "bkd", N, "weird", None),
    # else the sector's quota: 100 → WFO, 0 → WFH, else unknown
    (DEFAULT, staff(), "dinkes", C, None, "wfo"),
    (DEFAULT, staff(), "bkd", E, None, None),
    (DEFAULT, staff(), "bkd", N, None, None),
    (ALL_HOME, staff(), "bkd", N, None, "wfh"),
    (NO_CRITICAL_QUOTA, staff(), "dinkes", C, None, "wfo"),  # a sector the letter omits: SE default
    (DEFAULT, staff(), "bkd", "no-such-sector", None, None),
])
def test_the_days_work_mode(content, employee, unit, sector, roster, mode):
    assert work_mode_of(content, employee, unit, sector, roster) == mode


def test_exemption_read_once_agrees_with_the_single_question():
    for content in (DEFAULT, HEADS, SATPOL):
        rule = ExemptionRule.of(content)
        for flags in ({}, {"is_teacher": True}, {"is_front_line": True}, {"is_unit_head": True}):
            for unit in ("bkd", "satpolpp"):
                person = staff(unit, **flags)
                assert rule.covers(person, unit) == is_exempt(person, unit, content)
    assert roles_of(staff(is_teacher=True, is_unit_head=True)) == {Role.TEACHER, Role.UNIT_HEAD}
    assert unit_mode(DEFAULT, C) == "wfo" and unit_mode(ALL_HOME, N) == "wfh" and unit_mode(DEFAULT, E) is None


# --- requirement -------------------------------------------------------------------------

RABU, SABTU = date(2022, 2, 9), date(2022, 2, 12)
HOLIDAY = PolicyContent(holidays=[RABU])


def test_wfh_only_kinds_are_location_video_conference_and_activity_report():
    assert WFH_ONLY_KINDS == {K.LOCATION, K.VIDEO_CONFERENCE, K.ACTIVITY_REPORT}


@pytest.mark.parametrize(("kinds", "day", "content", "active", "mode", "expected"), [
    ([K.LOCATION], RABU, DEFAULT, True, "wfh", (True, None)),
    ([K.LOCATION], RABU, DEFAULT, True, None, (True, None)),
    ([K.LOCATION], RABU, DEFAULT, True, "wfo", (False, "wfo_day")),
    ([K.VIDEO_CONFERENCE], RABU, DEFAULT, True, "wfo", (False, "wfo_day")),
    ([K.ACTIVITY_REPORT], RABU, DEFAULT, True, "wfo", (False, "wfo_day")),
    ([K.ATTENDANCE], RABU, DEFAULT, True, "wfo", (True, None)),  # attendance: everyone
    ([K.ATTENDANCE, K.LOCATION], RABU, DEFAULT, True, "wfo", (True, None)),  # a mixed window is asked
    ([K.LOCATION, K.VIDEO_CONFERENCE], RABU, DEFAULT, True, "wfo", (False, "wfo_day")),
    ([K.ATTENDANCE], SABTU, DEFAULT, True, "wfh", (False, "non_working_day")),
    ([K.ATTENDANCE], RABU, HOLIDAY, True, None, (False, "non_working_day")),
    ([K.ATTENDANCE], RABU, DEFAULT, False, "wfh", (False, "inactive")),
    ([K.LOCATION], SABTU, DEFAULT, False, "wfo", (False, "non_working_day")),  # the first rule decides
])
def test_whether_a_window_is_asked(kinds, day, content, active, mode, expected):
    got = requirement(kinds, day, content=content, calendar=None, active=active, mode=mode)
    assert (got.required, got.reason) == expected
    assert got.mode == mode
    if got.reason in (None, "wfo_day"):  # the day and the employee aside, rule 3 decides
        assert asks(kinds, mode) == got.required


# --- window bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(("tz", "offset"), [("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("Asia/Jayapura", 9)])
def test_window_bounds_in_each_indonesian_zone(tz, offset):
    attendance = Window(id="attendance", name="Apel", start=time(7, 0), end=time(7, 30), grace_minutes=15,
                        kinds=[K.ATTENDANCE])
    start, end, deadline = window_bounds(attendance, RABU, tz)
    local_7 = datetime(2022, 2, 9, 7, 0, tzinfo=UTC) - timedelta(hours=offset)
    assert (start, end, deadline) == (local_7, local_7 + timedelta(minutes=30), local_7 + timedelta(minutes=45))
    assert window_bounds(attendance, RABU, tz).deadline == deadline
