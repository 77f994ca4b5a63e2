"""The one rule of holidays and working days (``services.contracts.rules.calendar``) on known days of
2026 from the maintained ``holidays`` package, with each part of a tenant's calendar and a letter's own
holidays; and the tenant calendar a request may send (policy's ``CalendarIn``): each day once, never
both added and removed, a bounded number of days, a message in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from services.contracts.policy import PolicyContent
from services.contracts.rules.calendar import (
    DEFAULT_CALENDAR,
    MAX_DAYS,
    CalendarDay,
    TenantCalendar,
    holiday,
    holidays_in,
    is_working_day,
    national,
)
from services.policy.calendar_schemas import CalendarIn

INDEPENDENCE = date(2026, 8, 17)  # Monday, Hari Kemerdekaan: national
IDUL_FITRI_LEAVE = date(2026, 3, 20)  # Friday, cuti bersama Idul Fitri
ORDINARY = date(2026, 8, 18)  # Tuesday, no holiday
ANNIVERSARY = date(2026, 10, 22)  # Thursday: a regency's anniversary, regional
LETTER = PolicyContent()  # Monday to Friday, no holidays of its own


def sources(calendar: TenantCalendar | None, content: PolicyContent | None = None) -> dict[date, str]:
    return {h.day: h.source for h in holidays_in(2026, calendar, content)}


def test_the_national_calendar_of_2026_holds_independence_day_and_the_idul_fitri_joint_leave() -> None:
    days = {h.day: h for h in national(2026)}
    assert days[INDEPENDENCE].source == "national" and "Kemerdekaan" in days[INDEPENDENCE].name
    assert days[IDUL_FITRI_LEAVE].source == "cuti_bersama" and "Cuti Bersama" in days[IDUL_FITRI_LEAVE].name
    assert days[date(2026, 12, 25)].source == "national" and days[date(2026, 12, 24)].source == "cuti_bersama"
    assert ORDINARY not in days
    assert national(1999) == () and national(2101) == (), "outside 2000-2100 the rule knows no national day"


def test_by_default_national_days_and_cuti_bersama_are_not_working_days() -> None:
    for calendar in (None, DEFAULT_CALENDAR):
        assert not is_working_day(INDEPENDENCE, LETTER, calendar)
        assert not is_working_day(IDUL_FITRI_LEAVE, LETTER, calendar)
        assert is_working_day(ORDINARY, LETTER, calendar)
    assert holiday(INDEPENDENCE, None) is not None and holiday(ORDINARY, None) is None


def test_national_off_keeps_cuti_bersama_and_cuti_bersama_off_keeps_the_national_days() -> None:
    no_national = TenantCalendar(national=False)
    assert is_working_day(INDEPENDENCE, LETTER, no_national)
    assert not is_working_day(IDUL_FITRI_LEAVE, LETTER, no_national)
    assert set(sources(no_national).values()) == {"cuti_bersama"}

    no_leave = TenantCalendar(cuti_bersama=False)
    assert not is_working_day(INDEPENDENCE, LETTER, no_leave)
    assert is_working_day(IDUL_FITRI_LEAVE, LETTER, no_leave)
    assert set(sources(no_leave).values()) == {"national"}

    neither = TenantCalendar(national=False, cuti_bersama=False)
    assert sources(neither) == {}
    assert all(is_working_day(date(2026, 1, 1) + timedelta(days=i), LETTER, neither)
               for i in range(365) if (date(2026, 1, 1) + timedelta(days=i)).weekday() < 5)


def test_an_added_regional_day_is_a_holiday_with_its_name() -> None:
    calendar = TenantCalendar(added=[CalendarDay(date=ANNIVERSARY, name="Hari Jadi Kabupaten Serang")])
    assert not is_working_day(ANNIVERSARY, LETTER, calendar)
    assert holiday(ANNIVERSARY, calendar) == (ANNIVERSARY, "Hari Jadi Kabupaten Serang", "regional")
    assert is_working_day(ANNIVERSARY, LETTER, DEFAULT_CALENDAR)
    assert holidays_in(2025, calendar) == holidays_in(2025, None), "a day of 2026 is no holiday of 2025"


def test_a_removed_national_day_is_worked_and_the_others_stay() -> None:
    calendar = TenantCalendar(removed=[INDEPENDENCE])
    assert is_working_day(INDEPENDENCE, LETTER, calendar)
    assert INDEPENDENCE not in sources(calendar)
    assert not is_working_day(date(2026, 12, 25), LETTER, calendar)
    assert len(sources(calendar)) == len(sources(None)) - 1


def test_the_letters_holidays_count_first_and_its_week_still_decides() -> None:
    content = PolicyContent(holidays=[ORDINARY, INDEPENDENCE])
    assert not is_working_day(ORDINARY, content, None)
    assert sources(None, content)[ORDINARY] == "letter"
    assert sources(None, content)[INDEPENDENCE] == "letter", "a day of several sources shows the letter"
    assert not is_working_day(ORDINARY, content, TenantCalendar(national=False, cuti_bersama=False))
    saturday = date(2026, 8, 22)
    assert not is_working_day(saturday, LETTER, TenantCalendar(removed=[saturday])), \
        "removing a day never adds it to the letter's week"


def test_a_calendar_travels_and_reads_back_unchanged() -> None:
    calendar = TenantCalendar(national=False, added=[CalendarDay(date=ANNIVERSARY, name="Hari Jadi")],
                              removed=[INDEPENDENCE])
    assert TenantCalendar.model_validate_json(calendar.model_dump_json()) == calendar


def test_the_contracts_calendar_refuses_a_day_added_twice_added_and_removed_or_too_many_days() -> None:
    day = {"date": "2026-10-22", "name": "Hari Jadi"}
    with pytest.raises(ValidationError, match="listed twice"):
        TenantCalendar.model_validate({"added": [day, day]})
    with pytest.raises(ValidationError, match="both added and removed"):
        TenantCalendar.model_validate({"added": [day], "removed": ["2026-10-22"]})
    with pytest.raises(ValidationError, match=r"too_long|at most"):
        TenantCalendar.model_validate({"removed": [str(date(2026, 1, 1) + timedelta(days=i))
                                                   for i in range(MAX_DAYS + 1)]})
    assert TenantCalendar.model_validate({"later": True}) == DEFAULT_CALENDAR, "a consumer ignores unknown fields"


def body(**fields: object) -> dict[str, object]:
    return {"national": True, "cuti_bersama": True, "added": [], "removed": [], **fields}


@pytest.mark.parametrize(("fields", "needle"), [
    ({"added": [{"date": "2026-10-22", "name": "Hari Jadi"}, {"date": "2026-10-22", "name": "Lagi"}]},
     "added: 2026-10-22 is listed twice"),
    ({"removed": ["2026-08-17", "2026-08-17"]}, "removed: 2026-08-17 is listed twice"),
    ({"added": [{"date": "2026-08-17", "name": "Hari Jadi"}], "removed": ["2026-08-17"]},
     "2026-08-17 cannot be both added and removed"),
])
def test_a_day_twice_or_both_added_and_removed_is_refused_naming_the_day(fields: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CalendarIn.model_validate(body(**fields))
    message = str(caught.value)
    assert needle in message and " / " in message, "Indonesian / English"


@pytest.mark.parametrize("fields", [
    {"added": [{"date": str(date(2026, 1, 1) + timedelta(days=i)), "name": "Libur"} for i in range(MAX_DAYS + 1)]},
    {"removed": [str(date(2026, 1, 1) + timedelta(days=i)) for i in range(MAX_DAYS + 1)]},
    {"added": [{"date": "2026-10-22", "name": "x" * 121}]},
    {"added": [{"date": "2026-10-22", "name": "Hari\x00Jadi"}]},
    {"added": [{"date": "1999-12-31", "name": "Hari Jadi"}]},
    {"removed": ["2101-01-01"]},
    {"tenant": "t-other"},
])
def test_too_many_days_long_or_control_names_days_out_of_range_and_unknown_fields_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        CalendarIn.model_validate(body(**fields))


def test_a_valid_body_is_the_contracts_calendar() -> None:
    sent = CalendarIn.model_validate(body(national=False, added=[{"date": "2026-10-22", "name": " Hari Jadi "}],
                                          removed=["2026-08-17"]))
    assert sent.calendar() == TenantCalendar(national=False, added=[CalendarDay(date=ANNIVERSARY, name=" Hari Jadi ")],
                                             removed=[INDEPENDENCE])
