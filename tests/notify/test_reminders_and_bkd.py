"""Office-day reminders follow absences and the tenant's calendar; missed days escalate to the BKD.

- "Besok Anda bekerja di kantor" is planned for none of the days an approved absence excuses
  or the tenant does not work (a regional holiday of its calendar, a day outside the letter's
  week); an absence approved after the reminder was planned cancels it, and cancelling the
  absence plans it again; a new calendar or letter cancels the reminders of days it takes away.
- the BKD hears once a month of an employee whose days with a missed window (days an absence
  excuses do not count) reach the tenant's threshold: not at N−1, not twice, and a redelivered
  overdue notice counts once.

Notify's handlers run in the test's process on a real PostgreSQL database
(:mod:`tests.notify.handling`); the reminders' days lie ahead of today, and the tenant's
calendar has no national days, so the outcome does not depend on the date the test runs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.decisions import AbsenceUpdated
from services.contracts.events import DirectoryUpdatedV2, PolicyUpdated, RosterAssignment, RosterPublished, TenantRecord
from services.contracts.policy import AbsenceKind, PolicyContent
from services.contracts.rules.calendar import CalendarDay, TenantCalendar
from services.runtime.service import ServiceRuntime
from tests.notify.handling import NO_HOLIDAYS, Notify
from tests.notify.harness import employee, nip, overdue, tenant_id

pytestmark = pytest.mark.infra

HEAD, STAFF, BKD = nip(90), nip(91), nip(92)
PEOPLE = [employee(HEAD, "Kepala Dinkes", "dinkes", email="kepala@dinkes.uji", head=True),
          employee(STAFF, "Andi", "dinkes", email="andi@dinkes.uji"),
          employee(BKD, "Rina BKD", "bkd", email="rina@bkd.uji")]
UNITS: dict[str, str | None] = {"dinkes": None, "bkd": None}


def ahead(days: int) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=days)


def sick(absence_id: uuid.UUID, start: date, end: date, status: str, revision: int,
         cancelled_from: date | None = None) -> AbsenceUpdated:
    return AbsenceUpdated(absence_id=absence_id, employee_id=STAFF, unit_id="dinkes", kind=AbsenceKind.SAKIT,
                          start=start, end=end, status=status, revision=revision,  # type: ignore[arg-type]
                          cancelled_from=cancelled_from, at=datetime.now(UTC))


async def pending(notify: Notify) -> list[str]:
    return sorted(r.occurrence for r in await notify.log(kind="roster_day", status="pending"))


async def test_no_reminder_for_an_excused_day_or_a_holiday_and_an_absence_moves_them(rt: ServiceRuntime) -> None:
    notify = Notify(rt, tenant_id("remind"))
    d1, d2, d3, d4 = (ahead(10 + i) for i in range(4))
    await notify.directory(PEOPLE, UNITS, calendar=TenantCalendar(
        national=False, cuti_bersama=False, added=[CalendarDay(date=d2, name="Hari Jadi Kabupaten")]))
    await notify.handle(sick(uuid.uuid4(), d1, d1, "approved", 2))
    await notify.handle(RosterPublished(unit_id="dinkes", start=d1, end=d4, assignments=[
        RosterAssignment(employee_id=STAFF, date=d, mode="wfo") for d in (d1, d2, d3, d4)]))
    assert await pending(notify) == [d3.isoformat(), d4.isoformat()]  # d1 sick, d2 a regional holiday

    later = uuid.uuid4()
    await notify.handle(sick(later, d3, d3, "approved", 2))  # approved after the reminder was planned
    assert await pending(notify) == [d4.isoformat()]
    [cancelled] = await notify.log(kind="roster_day", status="cancelled")
    assert (cancelled.occurrence, cancelled.last_error) == (d3.isoformat(), "excused by an absence")

    await notify.handle(sick(later, d3, d3, "cancelled", 3, cancelled_from=d3))  # back to work on d3
    assert await pending(notify) == [d3.isoformat(), d4.isoformat()]
    await notify.handle(sick(later, d3, d3, "approved", 2))  # the approval, late: changes nothing
    assert await pending(notify) == [d3.isoformat(), d4.isoformat()]


async def test_a_new_calendar_or_letter_cancels_the_reminders_of_the_days_it_takes_away(rt: ServiceRuntime) -> None:
    notify = Notify(rt, tenant_id("recheck"))
    d1, d2, d3 = ahead(10), ahead(11), ahead(12)
    await notify.directory(PEOPLE, UNITS)
    await notify.handle(RosterPublished(unit_id="dinkes", start=d1, end=d3, assignments=[
        RosterAssignment(employee_id=STAFF, date=d, mode="wfo") for d in (d1, d2, d3)]))
    assert await pending(notify) == [d1.isoformat(), d2.isoformat(), d3.isoformat()]

    await notify.handle(DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=notify.tenant, name="Pemerintah Uji", kind="province", timezone="Asia/Jakarta",
        calendar=NO_HOLIDAYS.model_copy(update={"added": [CalendarDay(date=d1, name="Cuti bersama daerah")]}))))
    assert await pending(notify) == [d2.isoformat(), d3.isoformat()]

    week = [d for d in range(1, 8) if d != d3.isoweekday()]  # the letter does not work d3's weekday
    await notify.handle(PolicyUpdated(policy_id="se-1", number="800/2-BKD/2026", version=1, title="WFH",
                                      valid_from=d1 - timedelta(days=30), timezone="Asia/Jakarta",
                                      content=PolicyContent(working_days=week)))
    assert await pending(notify) == [d2.isoformat()]
    assert sorted(r.last_error for r in await notify.log(kind="roster_day", status="cancelled")) == [
        "not a working day", "not a working day"]


async def test_the_bkd_hears_once_a_month_when_missed_days_reach_the_threshold(rt: ServiceRuntime) -> None:
    notify = Notify(rt, tenant_id("bkd-month"))
    await notify.directory(PEOPLE, UNITS)
    await notify.configure(bkd_days=3, bkd=[BKD])

    async def miss(day: int, window: str = "location-1", *, again: bool = False) -> None:
        event = overdue(STAFF, "dinkes", window, day=date(2026, 12, day))
        await notify.handle(event)
        if again:
            await notify.handle(event)  # the same notice once more, under another id

    await miss(1, again=True)
    await miss(1, "location-2")
    await miss(2, again=True)
    assert await notify.log(kind="escalation_bkd") == []  # two days: N−1

    await miss(3)
    await miss(3, "location-2")
    await miss(4)
    told = await notify.log(kind="escalation_bkd")
    assert [(r.recipient, r.occurrence) for r in told] == [(BKD, "month:2026-12")]
    assert told[0].subject == "Eskalasi ke BKD: Andi 3 hari tidak lapor pada Desember 2026"
    assert "Kamis, 3 Desember 2026" in told[0].body
    assert await notify.log(kind="escalation", recipient=HEAD) == []  # the head's thresholds are off


async def test_days_an_absence_excuses_do_not_count_towards_the_bkd(rt: ServiceRuntime) -> None:
    notify = Notify(rt, tenant_id("bkd-excused"))
    await notify.directory(PEOPLE, UNITS)
    await notify.configure(bkd_days=2)  # nobody named: on record for the admin
    # sick leave approved afterwards for 10 December, whose notice had already gone out
    await notify.handle(overdue(STAFF, "dinkes", "location-1", day=date(2026, 12, 10)))
    await notify.handle(sick(uuid.uuid4(), date(2026, 12, 10), date(2026, 12, 11), "approved", 2))
    await notify.handle(overdue(STAFF, "dinkes", "location-1", day=date(2026, 12, 11)))
    await notify.handle(overdue(STAFF, "dinkes", "location-1", day=date(2026, 12, 14)))
    assert await notify.log(kind="escalation_bkd") == []  # one day counts
    await notify.handle(overdue(STAFF, "dinkes", "location-1", day=date(2026, 12, 15)))
    told = await notify.log(kind="escalation_bkd")
    assert [(r.recipient, r.channel) for r in told] == [("bkd", "log")]
    assert "2 hari" in told[0].subject
