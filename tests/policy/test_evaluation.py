"""The verdict on one check-in, rule by rule, with the seeds' governments as examples."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.events import (
    CheckinEvaluated,
    CheckinReceived,
    EmployeeRecord,
    Location,
    Place,
)
from services.contracts.policy import (
    CheckinKind,
    Exemptions,
    PolicyContent,
    Role,
    Sector,
    Window,
)
from services.policy.domain.evaluation import PreviousFix, evaluate
from services.policy.domain.geo import distance_m

K = CheckinKind
WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))
RABU = date(2022, 2, 9)  # Wednesday, under SE 800/258-BKD/2022 of Pemprov Banten
SABTU = date(2022, 2, 12)
CHECKIN_ID = UUID("8b0f6a4e-2f55-4c1e-9d1e-0a6f3c2b9e11")

# Pemprov Banten (Asia/Jakarta): an ASN of BKD living in Cipocok Jaya, office at KP3B.
KP3B = (-6.1200, 106.1503)
CIPOCOK = (-6.1405, 106.1722)
BANTEN_CONTENT = PolicyContent(
    unit_sectors={"dinkes": Sector.CRITICAL, "bkd": Sector.NON_ESSENTIAL}
)
BANTEN_SE = "800/258-BKD/2022"


def staff(nip="198503122010011003", unit="bkd", places=None, **flags) -> EmployeeRecord:
    if places is None:
        places = [
            Place(name="Rumah Cipocok Jaya", kind="home", latitude=CIPOCOK[0],
                  longitude=CIPOCOK[1], radius_m=100),
            Place(name="Kantor BKD, KP3B", kind="office", latitude=KP3B[0], longitude=KP3B[1]),
        ]
    return EmployeeRecord(nip=nip, name="Siti Rahmawati", unit_id=unit, places=places, **flags)


SITI = staff()


SETENGAH_SEMBILAN = datetime.combine(RABU, time(8, 30), tzinfo=WIB)


def checkin(
    kind=K.LOCATION, at=SETENGAH_SEMBILAN, where=CIPOCOK,
    accuracy=10.0, mock=False, received=None, employee_id=SITI.nip, unit_id="bkd",
) -> CheckinReceived:
    location = None
    if where is not None:
        location = Location(latitude=where[0], longitude=where[1], accuracy_m=accuracy,
                            mock_location=mock)
    return CheckinReceived(
        checkin_id=CHECKIN_ID, employee_id=employee_id, unit_id=unit_id, kind=kind,
        captured_at=at, received_at=received or at + timedelta(seconds=3), location=location,
    )


def judge(c: CheckinReceived, **kw) -> CheckinEvaluated:
    args = {
        "content": BANTEN_CONTENT, "timezone": "Asia/Jakarta", "employee": SITI,
        "unit_sector": Sector.NON_ESSENTIAL, "work_mode": "wfh", "previous": None,
        "policy_number": BANTEN_SE, "policy_version": 1,
    } | kw
    return evaluate(c, **args)


def wib(hh, mm, ss=0, day=RABU):
    return datetime.combine(day, time(hh, mm, ss), tzinfo=WIB)


# --- the window --------------------------------------------------------------------


def test_banten_location_share_at_home_on_time_fills_every_field():
    c = checkin()
    result = judge(c)
    assert result == CheckinEvaluated(
        checkin_id=CHECKIN_ID, employee_id=SITI.nip, unit_id="bkd", kind=K.LOCATION,
        captured_at=c.captured_at, received_at=c.received_at, local_date=RABU,
        window_id="location-1", status="on_time", late_minutes=0, geofence="inside",
        distance_m=0.0, nearest_place="Rumah Cipocok Jaya", place_kind="home", suspicious=False, reasons=[],
        policy_number=BANTEN_SE, policy_version=1,
    )
    # and it is a valid event on the wire
    assert CheckinEvaluated.model_validate_json(result.model_dump_json()) == result


def test_banten_attendance_late_within_and_after_grace():
    within = judge(checkin(K.ATTENDANCE, at=wib(7, 41)))
    assert (within.window_id, within.status, within.late_minutes) == ("attendance", "late", 11)
    after = judge(checkin(K.ATTENDANCE, at=wib(8, 5)))
    assert (after.window_id, after.status, after.late_minutes) == ("attendance", "late", 35)


def test_banten_location_before_the_first_share_is_outside_any_window():
    result = judge(checkin(at=wib(6, 30)))
    assert (result.window_id, result.status, result.late_minutes) == (None, "outside_window", 0)
    assert result.geofence == "inside"  # the geofence is still checked


def test_version_in_force_at_capture_is_what_the_caller_passes():
    # v2 of the letter moves the attendance end to 08:00; a check-in captured under v1 at 07:50
    # is late under v1 and on time under v2: the handler must pass v1's content and number.
    v2 = BANTEN_CONTENT.model_copy(update={"windows": [
        Window(id="attendance", name="Apel", start=time(7, 0), end=time(8, 0),
               kinds=[K.ATTENDANCE]),
    ]})
    c = checkin(K.ATTENDANCE, at=wib(7, 50))
    v1_result = judge(c, policy_version=1)
    v2_result = judge(c, content=v2, policy_version=2)
    assert (v1_result.status, v1_result.late_minutes, v1_result.policy_version) == ("late", 20, 1)
    assert (v2_result.status, v2_result.policy_version) == ("on_time", 2)


# --- the geofence ------------------------------------------------------------------


def test_wfh_day_at_the_office_is_outside_the_home_geofence():
    result = judge(checkin(where=KP3B), work_mode="wfh")
    assert result.geofence == "outside"
    assert result.nearest_place == "Rumah Cipocok Jaya"
    assert result.distance_m == pytest.approx(distance_m(*KP3B, *CIPOCOK), abs=1e-6)
    assert 3000 < result.distance_m < 3600
    assert not result.suspicious  # being elsewhere is not a device problem


def test_wfh_day_a_hundred_metres_away_uses_the_place_radius():
    near = (CIPOCOK[0] + 0.0008, CIPOCOK[1])  # ~88 m, radius 100
    far = (CIPOCOK[0] + 0.0010, CIPOCOK[1])  # ~111 m
    assert judge(checkin(where=near)).geofence == "inside"
    assert judge(checkin(where=far)).geofence == "outside"


def test_wfo_day_attendance_is_checked_against_the_office():
    result = judge(checkin(K.ATTENDANCE, at=wib(7, 10), where=KP3B), work_mode="wfo")
    assert (result.status, result.geofence, result.nearest_place) == (
        "on_time", "inside", "Kantor BKD, KP3B",
    )
    at_home = judge(checkin(K.ATTENDANCE, at=wib(7, 10)), work_mode="wfo")
    assert (at_home.geofence, at_home.nearest_place) == ("outside", "Kantor BKD, KP3B")


def test_without_a_roster_mode_every_place_is_allowed():
    for where, name in ((KP3B, "Kantor BKD, KP3B"), (CIPOCOK, "Rumah Cipocok Jaya")):
        result = judge(checkin(where=where), work_mode=None)
        assert (result.geofence, result.nearest_place, result.status) == ("inside", name, "on_time")


def test_kinds_without_location_are_not_checked():
    c = CheckinReceived(
        checkin_id=CHECKIN_ID, employee_id=SITI.nip, kind=K.ACTIVITY_REPORT,
        captured_at=wib(14, 50), received_at=wib(14, 50, 2), activity_text="Verifikasi berkas",
    )
    result = judge(c)
    assert (result.status, result.window_id) == ("on_time", "activity-report")
    assert (result.geofence, result.distance_m, result.nearest_place) == ("not_checked", None, None)
    assert result.unit_id == "bkd"


def test_a_location_on_a_video_conference_is_not_geofenced():
    result = judge(checkin(K.VIDEO_CONFERENCE, at=wib(14, 5), where=KP3B))
    assert (result.status, result.geofence) == ("on_time", "not_checked")


def test_no_allowed_place_valid_that_day_is_not_checked():
    moved_out = staff(places=[Place(name="Rumah lama", kind="home", latitude=CIPOCOK[0],
                                    longitude=CIPOCOK[1], valid_until=date(2022, 1, 31))])
    assert judge(checkin(), employee=moved_out).geofence == "not_checked"
    only_office = staff(places=[Place(name="Kantor", kind="office", latitude=KP3B[0],
                                      longitude=KP3B[1])])
    assert judge(checkin(), employee=only_office, work_mode="wfh").geofence == "not_checked"


def test_unknown_employee_is_evaluated_without_geofence_or_exemption():
    result = judge(checkin(unit_id="bkd"), employee=None)
    assert (result.status, result.geofence, result.unit_id) == ("on_time", "not_checked", "bkd")


def test_the_policy_default_radius_applies_to_places_without_one():
    office_only = staff(places=[Place(name="Kantor", kind="office", latitude=KP3B[0],
                                      longitude=KP3B[1])])
    where = (KP3B[0] + 0.0018, KP3B[1])  # ~199 m
    assert judge(checkin(where=where), employee=office_only, work_mode=None).geofence == "outside"
    wide = BANTEN_CONTENT.model_copy(update={"geofence_radius_m": 250.0})
    assert judge(checkin(where=where), employee=office_only, work_mode=None,
                 content=wide).geofence == "inside"


# --- not required ------------------------------------------------------------------


def test_wfo_day_location_share_is_not_required_but_still_judged():
    result = judge(checkin(at=wib(9, 20), where=KP3B), work_mode="wfo")
    assert (result.status, result.late_minutes, result.window_id) == (
        "not_required", 0, "location-1",
    )
    assert (result.geofence, result.nearest_place) == ("inside", "Kantor BKD, KP3B")


def test_wfo_day_video_conference_and_activity_report_are_not_required():
    for kind, hh in ((K.VIDEO_CONFERENCE, 14), (K.ACTIVITY_REPORT, 10)):
        result = judge(checkin(kind, at=wib(hh, 5), where=None), work_mode="wfo")
        assert result.status == "not_required"


def test_exempt_teacher_is_always_wfo_even_if_the_roster_says_wfh():
    guru = staff(nip="197907152005012004", unit="disdikbud", is_teacher=True)
    for mode in ("wfh", None):
        result = judge(checkin(), employee=guru, work_mode=mode, unit_sector=Sector.ESSENTIAL)
        assert result.status == "not_required"
        assert result.nearest_place == "Kantor BKD, KP3B"  # office places only
    # but a teacher's morning attendance is still due
    attendance = judge(checkin(K.ATTENDANCE, at=wib(7, 50)), employee=guru, work_mode="wfh")
    assert (attendance.status, attendance.late_minutes) == ("late", 20)


def test_exempt_front_line_and_exempt_units():
    loket = staff(nip="198801012015031001", unit="bapenda", is_front_line=True)
    assert judge(checkin(), employee=loket).status == "not_required"
    content = BANTEN_CONTENT.model_copy(update={"exemptions": Exemptions(unit_ids=["satpolpp"])})
    satpol = staff(nip="199001012019031002", unit="satpolpp")
    assert judge(checkin(), employee=satpol, content=content).status == "not_required"
    # the unit of the check-in counts when the employee is unknown
    assert judge(checkin(unit_id="satpolpp"), employee=None, content=content).status == (
        "not_required"
    )


def test_unit_heads_are_exempt_only_if_the_letter_says_so():
    # Pemkot Bekasi: Kadis and Sekdis may work from home, with assignments.
    kadis = staff(nip="197001011995031001", is_unit_head=True)
    assert judge(checkin(), employee=kadis).status == "on_time"
    strict = BANTEN_CONTENT.model_copy(update={"exemptions": Exemptions(roles=[Role.UNIT_HEAD])})
    assert judge(checkin(), employee=kadis, content=strict).status == "not_required"


def test_critical_sector_without_roster_is_wfo_and_zero_quota_is_wfh():
    dinkes = staff(unit="dinkes")
    result = judge(checkin(), employee=dinkes, unit_sector=Sector.CRITICAL, work_mode=None)
    assert result.status == "not_required"
    # the sector can also come from the letter's unit list
    assert judge(checkin(), employee=dinkes, unit_sector=None, work_mode=None).status == (
        "not_required"
    )
    all_home = BANTEN_CONTENT.model_copy(update={"sector_quotas": {Sector.NON_ESSENTIAL: 0}})
    result = judge(checkin(where=KP3B), content=all_home, work_mode=None)
    assert (result.status, result.geofence) == ("on_time", "outside")  # home places only


def test_weekend_and_holiday_are_not_required():
    assert judge(checkin(at=wib(8, 30, day=SABTU))).status == "not_required"
    holiday = BANTEN_CONTENT.model_copy(update={"holidays": [RABU]})
    result = judge(checkin(K.ATTENDANCE, at=wib(7, 50)), content=holiday)
    assert (result.status, result.late_minutes, result.window_id) == (
        "not_required", 0, "attendance",
    )


def test_inactive_employee_is_not_required():
    pensiun = staff(active=False)
    assert judge(checkin(), employee=pensiun).status == "not_required"


# --- suspicious --------------------------------------------------------------------


def test_mock_location_is_suspicious():
    result = judge(checkin(mock=True))
    assert (result.suspicious, result.reasons) == (True, ["mock_location"])
    assert result.status == "on_time"  # suspicion does not change the window status


def test_poor_accuracy_is_worse_than_the_threshold_not_equal():
    assert judge(checkin(accuracy=100.0)).reasons == []
    assert judge(checkin(accuracy=100.5)).reasons == ["poor_accuracy"]
    tight = BANTEN_CONTENT.model_copy(update={"accuracy_threshold_m": 20.0})
    assert judge(checkin(accuracy=25), content=tight).reasons == ["poor_accuracy"]


def test_impossible_travel_between_consecutive_location_checkins():
    # 08:20 at the office in Serang, 08:30 at home: 3.3 km in 10 minutes is ~20 km/h, fine.
    prev = PreviousFix(captured_at=wib(8, 20), latitude=KP3B[0], longitude=KP3B[1])
    assert judge(checkin(), previous=prev).reasons == []
    # Makassar an hour earlier: ~1,480 km in an hour.
    makassar = PreviousFix(captured_at=wib(7, 30), latitude=-5.1477, longitude=119.4327)
    result = judge(checkin(), previous=makassar)
    assert (result.suspicious, result.reasons) == (True, ["impossible_travel"])
    # The same trip over a day is possible (a flight).
    yesterday = PreviousFix(captured_at=wib(8, 30) - timedelta(days=1), latitude=-5.1477,
                            longitude=119.4327)
    assert judge(checkin(), previous=yesterday).reasons == []


def test_gps_jitter_is_not_travel():
    prev = PreviousFix(captured_at=wib(8, 29, 58), latitude=CIPOCOK[0] + 0.0002,
                       longitude=CIPOCOK[1])  # 22 m away, 2 s earlier: 40 km/h raw
    assert judge(checkin(accuracy=25), previous=prev).reasons == []
    same_instant = PreviousFix(captured_at=wib(8, 30), latitude=CIPOCOK[0] + 0.0002,
                               longitude=CIPOCOK[1])
    assert judge(checkin(accuracy=25), previous=same_instant).reasons == []
    assert judge(checkin(accuracy=5), previous=same_instant).reasons == ["impossible_travel"]


def test_speed_limit_comes_from_the_letter():
    prev = PreviousFix(captured_at=wib(8, 20), latitude=KP3B[0], longitude=KP3B[1])
    slow = BANTEN_CONTENT.model_copy(update={"max_travel_speed_kmh": 10.0})
    assert judge(checkin(), previous=prev, content=slow).reasons == ["impossible_travel"]


def test_clock_skew_either_way_above_the_limit():
    at = wib(8, 30)
    assert judge(checkin(at=at, received=at + timedelta(seconds=300))).reasons == []
    assert judge(checkin(at=at, received=at + timedelta(seconds=301))).reasons == ["clock_skew"]
    # the device clock runs ahead of the server
    assert judge(checkin(at=at, received=at - timedelta(minutes=10))).reasons == ["clock_skew"]


def test_location_share_without_coordinates_is_suspicious():
    result = judge(checkin(where=None))
    assert (result.geofence, result.reasons) == ("not_checked", ["missing_location"])


def test_several_reasons_come_in_a_fixed_order():
    makassar = PreviousFix(captured_at=wib(8, 0), latitude=-5.1477, longitude=119.4327)
    result = judge(
        checkin(mock=True, accuracy=500, received=wib(9, 30)), previous=makassar
    )
    assert result.reasons == ["mock_location", "poor_accuracy", "impossible_travel", "clock_skew"]
    assert result.suspicious


# --- other zones -------------------------------------------------------------------

MAKASSAR_CONTENT = PolicyContent()
PANAKKUKANG = (-5.1580, 119.4460)
ASN_MAKASSAR = staff(nip="198206202009022001", unit="bpkad", places=[
    Place(name="Rumah Panakkukang", kind="home", latitude=PANAKKUKANG[0],
          longitude=PANAKKUKANG[1]),
])


def test_makassar_tenant_in_wita_whatever_the_phone_offset():
    # 07:20 WITA, sent by a phone still set to WIB (06:20+07:00): on time in Makassar.
    for captured in (
        datetime(2026, 11, 4, 7, 20, tzinfo=WITA),
        datetime(2026, 11, 4, 6, 20, tzinfo=WIB),
    ):
        c = checkin(K.ATTENDANCE, at=captured, where=PANAKKUKANG, employee_id=ASN_MAKASSAR.nip,
                    unit_id="bpkad")
        result = judge(c, content=MAKASSAR_CONTENT, timezone="Asia/Makassar", employee=ASN_MAKASSAR,
                       policy_number="800/112/BKPSDM/2026")
        assert (result.status, result.local_date, result.geofence) == (
            "on_time", date(2026, 11, 4), "inside",
        )
        assert result.captured_at == captured  # the device's own offset is kept


def test_jayapura_tenant_local_date_is_the_wit_day():
    # 00:30 WIT on Thursday is still Wednesday 22:30 in Jakarta.
    captured = datetime(2026, 11, 5, 0, 30, tzinfo=WIT)
    asn = staff(nip="198712312011011001", unit="bkd-papua", places=[])
    c = CheckinReceived(checkin_id=CHECKIN_ID, employee_id=asn.nip, kind=K.ACTIVITY_REPORT,
                        captured_at=captured, received_at=captured + timedelta(seconds=1))
    result = judge(c, content=PolicyContent(), timezone="Asia/Jayapura", employee=asn)
    assert result.local_date == date(2026, 11, 5)
    assert result.status == "outside_window"  # too early for the day's report
    assert judge(c, timezone="Asia/Jakarta", employee=asn).local_date == date(2026, 11, 4)


def test_jayapura_location_share_late_in_wit():
    captured = datetime(2026, 11, 5, 12, 45, tzinfo=WIT)
    c = checkin(at=captured, where=(-2.5337, 140.7181))
    result = judge(c, content=PolicyContent(), timezone="Asia/Jayapura", employee=None)
    assert (result.window_id, result.status, result.late_minutes) == ("location-2", "late", 15)


def test_unknown_zone_is_rejected():
    with pytest.raises(ValueError, match="unknown time zone"):
        judge(checkin(), timezone="WIB")


# --- properties --------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(list(CheckinKind)),
    minute=st.integers(0, 7 * 24 * 60 - 1),
    skew=st.integers(-3600, 3600),
    where=st.none() | st.tuples(st.floats(-6.3, -6.0), st.floats(106.0, 106.3)),
    accuracy=st.floats(0, 300),
    mock=st.booleans(),
    mode=st.sampled_from(["wfo", "wfh", None]),
    teacher=st.booleans(),
)
def test_evaluation_invariants(kind, minute, skew, where, accuracy, mock, mode, teacher):
    at = datetime(2022, 2, 7, tzinfo=WIB) + timedelta(minutes=minute)
    c = checkin(kind, at=at, where=where, accuracy=accuracy, mock=mock,
                received=at + timedelta(seconds=skew))
    result = judge(c, work_mode=mode, employee=staff(is_teacher=teacher))
    assert result.suspicious == bool(result.reasons)
    assert (result.late_minutes > 0) == (result.status == "late")
    assert (result.geofence == "not_checked") == (result.distance_m is None)
    assert (result.distance_m is None) == (result.nearest_place is None)
    assert result.local_date == at.date()
    if result.status == "outside_window":
        assert result.window_id is None
    if at.date().isoweekday() >= 6:
        assert result.status == "not_required"
    if kind in (K.ACTIVITY_REPORT, K.VIDEO_CONFERENCE):
        assert result.geofence == "not_checked"
