"""The verdict on a check-in of an employee away on an approved absence (pure): the day is
``not_required`` (reason ``absent``), and an official trip's alternative place is an allowed place
on the trip's days; every verdict names the kind of the deciding place."""

from __future__ import annotations

from datetime import timedelta

from services.contracts.events import Place
from services.contracts.policy import CheckinKind as K
from services.contracts.rules.requirement import requirement
from tests.policy.test_evaluation import BANTEN_CONTENT, KP3B, RABU, checkin, judge, wib

JAKARTA = (-6.2009, 106.8272)  # far from Serang: outside every place of the employee
TRIP = Place(name="Kementerian PANRB", kind="other", latitude=JAKARTA[0], longitude=JAKARTA[1], radius_m=200,
             valid_from=RABU, valid_until=RABU + timedelta(days=2))


def test_an_excused_day_is_not_required_and_still_judged_for_place_and_window() -> None:
    late = checkin(K.ATTENDANCE, at=wib(8, 5))
    assert (judge(late).status, judge(late).late_minutes) == ("late", 35)
    excused = judge(late, absent=True)
    assert (excused.status, excused.late_minutes, excused.window_id) == ("not_required", 0, "attendance")
    assert excused.geofence == "inside" and excused.place_kind == "home"
    needed = requirement([K.ATTENDANCE], RABU, content=BANTEN_CONTENT, calendar=None, active=True, mode="wfh",
                         absent=True)
    assert (needed.required, needed.reason) == (False, "absent")


def test_an_official_trips_place_is_allowed_on_its_days_only() -> None:
    in_jakarta = checkin(where=JAKARTA)
    assert judge(in_jakarta).geofence == "outside"
    on_trip = judge(in_jakarta, absent=True, also_allowed=[TRIP])
    assert (on_trip.geofence, on_trip.nearest_place, on_trip.place_kind, on_trip.status) == (
        "inside", "Kementerian PANRB", "other", "not_required")
    assert on_trip.distance_m is not None and on_trip.distance_m < 1
    ended = TRIP.model_copy(update={"valid_until": RABU - timedelta(days=1)})
    assert judge(in_jakarta, also_allowed=[ended]).geofence == "outside"
    # On a WFO day the trip's place is allowed too (kind "other" is otherwise only allowed without a mode).
    assert judge(in_jakarta, work_mode="wfo", also_allowed=[TRIP]).geofence == "inside"


def test_the_verdict_names_the_kind_of_the_deciding_place() -> None:
    at_office = judge(checkin(K.ATTENDANCE, at=wib(7, 10), where=KP3B), work_mode="wfo")
    assert (at_office.nearest_place, at_office.place_kind) == ("Kantor BKD, KP3B", "office")
    assert judge(checkin()).place_kind == "home"
    report = judge(checkin(K.ACTIVITY_REPORT, at=wib(14, 50), where=None))
    assert (report.geofence, report.place_kind) == ("not_checked", None)
