"""Window arithmetic in tenant local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.policy import CheckinKind, Window, default_windows
from services.contracts.rules.windows import window_bounds
from services.policy.domain.schedule import classify, local_day

K = CheckinKind
WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))
WINDOWS = default_windows()
BANTEN = "Asia/Jakarta"  # Pemprov Banten
MAKASSAR = "Asia/Makassar"
JAYAPURA = "Asia/Jayapura"
DAY = date(2022, 2, 9)  # a Wednesday under SE 800/258-BKD/2022


def at(hh: int, mm: int, ss: int = 0, tz: timezone = WIB, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=tz)


def win(wid, start, end, grace=0, kinds=(K.LOCATION,)):
    return Window(id=wid, name=wid, start=start, end=end, grace_minutes=grace, kinds=list(kinds))


# --- local_day and window_bounds ---------------------------------------------------


def test_local_day_crosses_midnight_by_zone():
    instant = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
    assert local_day(instant, BANTEN) == date(2026, 11, 2)  # 23:30 WIB
    assert local_day(instant, MAKASSAR) == date(2026, 11, 3)  # 00:30 WITA
    assert local_day(instant, JAYAPURA) == date(2026, 11, 3)  # 01:30 WIT


def test_local_day_rejects_naive_instants_and_unknown_zones():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_day(datetime(2026, 11, 2, 8, 0), BANTEN)
    with pytest.raises(ValueError, match="unknown time zone"):
        local_day(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), "Asia/Bandung")


@pytest.mark.parametrize(("tz", "hours"), [(BANTEN, 7), (MAKASSAR, 8), (JAYAPURA, 9)])
def test_window_bounds_in_each_indonesian_zone(tz, hours):
    attendance = WINDOWS[0]  # 07:00-07:30, grace 15
    bounds = window_bounds(attendance, DAY, tz)
    local_7 = datetime(2022, 2, 9, 7, 0, tzinfo=UTC) - timedelta(hours=hours)
    assert bounds.start == local_7
    assert bounds.end == local_7 + timedelta(minutes=30)
    assert bounds.deadline == local_7 + timedelta(minutes=45)
    assert bounds.start.tzinfo is UTC


# --- classify: Pemprov Banten (WIB) ------------------------------------------------


@pytest.mark.parametrize(
    ("captured", "status", "late"),
    [
        (at(6, 59, 59), "outside_window", 0),  # before apel: too early
        (at(7, 0), "on_time", 0),  # start is inclusive
        (at(7, 20), "on_time", 0),
        (at(7, 30), "on_time", 0),  # end is inclusive
        (at(7, 30, 1), "late", 1),  # one second late counts as a minute
        (at(7, 40), "late", 10),  # within grace
        (at(7, 45), "late", 15),  # at the deadline
        (at(8, 10), "late", 40),  # after grace: still late, minutes keep counting
        (at(23, 59), "late", 989),
    ],
)
def test_banten_morning_attendance(captured, status, late):
    match = classify(captured, K.ATTENDANCE, WINDOWS, BANTEN)
    assert (match.status, match.late_minutes) == (status, late)
    if status == "outside_window":
        assert match.window is None
    else:
        assert match.window is not None and match.window.id == "attendance"


@pytest.mark.parametrize(
    ("captured", "window_id", "status", "late"),
    [
        (at(7, 59), None, "outside_window", 0),
        (at(8, 30), "location-1", "on_time", 0),
        (at(9, 10), "location-1", "late", 10),
        (at(10, 0), "location-1", "late", 60),  # between shares: the last one started
        (at(11, 30), "location-2", "on_time", 0),
        (at(12, 45), "location-2", "late", 15),
        (at(14, 59), "location-2", "late", 149),
        (at(15, 0), "location-3", "on_time", 0),
        (at(16, 20), "location-3", "late", 20),
    ],
)
def test_banten_three_location_shares(captured, window_id, status, late):
    match = classify(captured, K.LOCATION, WINDOWS, BANTEN)
    assert (match.window.id if match.window else None, match.status, match.late_minutes) == (
        window_id, status, late,
    )


def test_activity_report_and_video_conference():
    assert classify(at(15, 20), K.ACTIVITY_REPORT, WINDOWS, BANTEN)[1:] == ("late", 20)
    assert classify(at(9, 0), K.ACTIVITY_REPORT, WINDOWS, BANTEN)[1:] == ("on_time", 0)
    assert classify(at(14, 5), K.VIDEO_CONFERENCE, WINDOWS, BANTEN)[1:] == ("on_time", 0)
    assert classify(at(13, 55), K.VIDEO_CONFERENCE, WINDOWS, BANTEN)[1:] == ("outside_window", 0)


def test_a_kind_no_window_asks_for_is_outside_window():
    only_attendance = [WINDOWS[0]]
    assert classify(at(8, 30), K.LOCATION, only_attendance, BANTEN) == (None, "outside_window", 0)


# --- classify: WITA and WIT tenants ------------------------------------------------


def test_makassar_tenant_uses_wita():
    # 07:20 WITA is 06:20 WIB: on time for a Makassar tenant, whatever offset the phone reports.
    previous_day = DAY - timedelta(days=1)
    for captured in (at(7, 20, tz=WITA), at(6, 20, tz=WIB), at(23, 20, tz=UTC, day=previous_day)):
        assert classify(captured, K.ATTENDANCE, WINDOWS, MAKASSAR)[1:] == ("on_time", 0)
    # The same instant is too early for Pemprov Banten.
    assert classify(at(7, 20, tz=WITA), K.ATTENDANCE, WINDOWS, BANTEN).status == "outside_window"


def test_jayapura_tenant_uses_wit():
    # 07:50 WIT: late 20 minutes in Jayapura; in Banten it is 05:50 and too early.
    captured = at(7, 50, tz=WIT)
    assert classify(captured, K.ATTENDANCE, WINDOWS, JAYAPURA)[1:] == ("late", 20)
    assert classify(captured, K.ATTENDANCE, WINDOWS, BANTEN).status == "outside_window"


def test_after_midnight_never_matches_the_previous_day():
    late_night = [win("malam", time(23, 0), time(23, 30), grace=60)]
    assert classify(at(23, 50, tz=WIT), K.LOCATION, late_night, JAYAPURA)[1:] == ("late", 20)
    next_day = at(0, 10, tz=WIT, day=DAY + timedelta(1))
    assert classify(next_day, K.LOCATION, late_night, JAYAPURA).status == "outside_window"


# --- overlapping windows -----------------------------------------------------------


def test_overlapping_windows_fill_the_one_closing_first_and_ignore_list_order():
    long = win("long", time(8, 0), time(15, 0))
    short = win("short", time(9, 0), time(9, 30))
    for windows in ([long, short], [short, long]):
        assert classify(at(9, 10), K.LOCATION, windows, BANTEN).window == short
        assert classify(at(10, 0), K.LOCATION, windows, BANTEN).window == long
        assert classify(at(8, 30), K.LOCATION, windows, BANTEN).window == long
        # both closed: late for the one that closed last, 5 minutes, not 335
        late = classify(at(15, 5), K.LOCATION, windows, BANTEN)
        assert (late.window, late.status, late.late_minutes) == (long, "late", 5)


def test_partially_overlapping_windows():
    a = win("a", time(8, 0), time(10, 0))
    b = win("b", time(9, 0), time(11, 0))
    assert classify(at(9, 30), K.LOCATION, [a, b], BANTEN).window == a  # closes first
    assert classify(at(10, 30), K.LOCATION, [a, b], BANTEN).window == b


def test_ties_go_to_the_later_start_then_the_id():
    a = win("a", time(8, 0), time(9, 0))
    b = win("b", time(8, 30), time(9, 0))
    c = win("c", time(8, 30), time(9, 0))
    for windows in ([a, b, c], [c, b, a]):
        assert classify(at(8, 45), K.LOCATION, windows, BANTEN).window == b
        assert classify(at(9, 15), K.LOCATION, windows, BANTEN).window == b


def test_classify_rejects_naive_captured_at():
    with pytest.raises(ValueError, match="timezone-aware"):
        classify(datetime(2022, 2, 9, 7, 0), K.ATTENDANCE, WINDOWS, BANTEN)


# --- properties --------------------------------------------------------------------

# Zones without daylight saving time (now or since 2000), including odd offsets.
ZONES = st.sampled_from([
    BANTEN, MAKASSAR, JAYAPURA, "UTC", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
])
INSTANTS = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)
OFFSETS = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
KINDS = st.sampled_from(list(CheckinKind))


@st.composite
def windows_strategy(draw):
    n = draw(st.integers(min_value=0, max_value=6))
    out = []
    for i in range(n):
        start = draw(st.integers(min_value=0, max_value=24 * 60 - 2))
        end = draw(st.integers(min_value=start + 1, max_value=24 * 60 - 1))
        kinds = draw(st.lists(KINDS, min_size=1, max_size=4, unique=True))
        out.append(win(
            f"w{i}", time(*divmod(start, 60)), time(*divmod(end, 60)),
            grace=draw(st.integers(0, 240)), kinds=kinds,
        ))
    return out


@settings(max_examples=300, deadline=None)
@given(INSTANTS, OFFSETS, OFFSETS, KINDS, windows_strategy(), ZONES)
def test_classification_ignores_the_offset_the_device_reports(instant, off1, off2, kind, ws, tz):
    assert classify(instant.astimezone(off1), kind, ws, tz) == classify(
        instant.astimezone(off2), kind, ws, tz
    )


@settings(max_examples=300, deadline=None)
@given(INSTANTS, KINDS, windows_strategy(), ZONES)
def test_status_agrees_with_window_bounds(instant, kind, ws, tz):
    match = classify(instant, kind, ws, tz)
    day = local_day(instant, tz)
    bounds = {w.id: window_bounds(w, day, tz) for w in ws if kind in w.kinds}
    inside_some = any(b.start <= instant <= b.end for b in bounds.values())
    started_some = any(b.start <= instant for b in bounds.values())

    assert (match.status == "on_time") == inside_some
    assert (match.status == "outside_window") == (not started_some)
    assert (match.late_minutes >= 1) == (match.status == "late")
    assert (match.window is None) == (match.status == "outside_window")
    if match.window is not None:
        b = bounds[match.window.id]
        assert b.start <= instant
        if match.status == "on_time":
            assert instant <= b.end
        else:
            # late_minutes is the ceiling of the minutes after the end
            assert b.end + timedelta(minutes=match.late_minutes - 1) < instant
            assert instant <= b.end + timedelta(minutes=match.late_minutes)
            # the least late choice: no started window closed later
            assert all(o.end <= b.end for o in bounds.values() if o.start <= instant)
        if match.status == "on_time":
            # the open window that closes first
            assert all(b.end <= o.end for o in bounds.values() if o.start <= instant <= o.end)


@settings(max_examples=100, deadline=None)
@given(INSTANTS, KINDS, windows_strategy(), ZONES, st.randoms(use_true_random=False))
def test_classification_ignores_the_order_of_windows(instant, kind, ws, tz, rnd):
    shuffled = list(ws)
    rnd.shuffle(shuffled)
    assert classify(instant, kind, ws, tz) == classify(instant, kind, shuffled, tz)


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2001, 1, 1), date(2090, 12, 31)), windows_strategy(), ZONES)
def test_window_bounds_are_ordered_and_on_their_local_day(day, ws, tz):
    for w in ws:
        b = window_bounds(w, day, tz)
        assert b.start < b.end <= b.deadline
        assert b.deadline - b.end == timedelta(minutes=w.grace_minutes)
        assert local_day(b.start, tz) == day == local_day(b.end, tz)
