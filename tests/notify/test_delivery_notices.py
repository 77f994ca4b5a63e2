"""Notices the notify service derives from other services' events: a flagged check-in goes
to the unit head, a circular letter to everyone with an address (stating their unit's
sector and quota), a published roster to the employees on it with a reminder the day before.

The service runs as a process on real Kafka and PostgreSQL with a real SMTP server
(:mod:`tests.notify.conftest`); events go to Kafka exactly as the producing services send
them. Each test has its own tenant and directory.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.events import (
    CheckinEvaluated,
    DirectoryUpdatedV2,
    PolicyUpdated,
    RosterAssignment,
    RosterPublished,
    TenantRecord,
    UnitRecord,
)
from services.contracts.policy import CheckinKind, PolicyContent, Sector
from services.contracts.rules import rosters
from tests.notify.harness import Bus, NotifyService, employee, mails, nip, tenant_id
from tests.notify.receivers import MailServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

TZ = "Asia/Jakarta"
HEAD, STAFF, UNREACHABLE = nip(40), nip(41), nip(42)


async def dishub(notify: NotifyService, bus: Bus, prefix: str, *, unreachable: bool = False) -> str:
    """A new tenant whose unit ``dishub`` has a head and an employee (both with an e-mail address)
    and, if ``unreachable``, an employee without any address; the tenant's id."""
    tenant = tenant_id(prefix)
    people = [employee(HEAD, "Kepala Dishub", "dishub", email=head_address(tenant), head=True),
              employee(STAFF, "Budi", "dishub", email=staff_address(tenant))]
    if unreachable:
        people.append(employee(UNREACHABLE, "Citra", "dishub"))
    await notify.configure(tenant)
    await bus.directory(tenant, TZ, {"dishub": None}, people)
    await notify.wait_directory(tenant, len(people), contacts=sum(p.email is not None for p in people))
    return tenant


def head_address(tenant: str) -> str:
    return f"kepala@dishub.{tenant}"


def staff_address(tenant: str) -> str:
    return f"budi@dishub.{tenant}"


def local_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(TZ)).date()


async def test_a_flagged_checkin_is_sent_to_the_unit_head_and_a_clean_one_is_not(
    notify: NotifyService, bus: Bus, mail: MailServer
) -> None:
    tenant = await dishub(notify, bus, "flag")
    now = datetime.now(UTC)

    def checkin(**verdict: object) -> CheckinEvaluated:
        return CheckinEvaluated(checkin_id=uuid.uuid4(), employee_id=STAFF, unit_id="dishub",
                                kind=CheckinKind.LOCATION, captured_at=now, received_at=now, local_date=now.date(),
                                status="on_time", **verdict)  # type: ignore[arg-type]

    await bus.publish(tenant, checkin(geofence="inside"))
    await bus.publish(tenant, checkin(geofence="outside", distance_m=812.0, nearest_place="Rumah",
                                      suspicious=True, reasons=["mock_location"]))
    flagged = await eventually(mails(mail, head_address(tenant), "Check-in perlu diperiksa"), timeout=20,
                               what="flag to the head")
    assert "di luar geofence (812 m dari Rumah)" in flagged[0].text and "lokasi palsu" in flagged[0].text
    # Both check-ins have the same key, so the clean one was handled before the flagged one: one notice
    # for both, and to the head only.
    rows = await notify.log(tenant, kind="checkin_flagged")
    assert [r["recipient"] for r in rows] == [HEAD]


async def test_a_policy_notice_reaches_everyone_with_an_address_and_records_the_others_skipped(
    notify: NotifyService, bus: Bus, mail: MailServer
) -> None:
    tenant = await dishub(notify, bus, "policy", unreachable=True)
    await bus.publish(tenant, PolicyUpdated(
        policy_id="se-1", number="800/258-BKD/2022", version=1, title="Penyesuaian sistem kerja ASN",
        signatory="Sekretaris Daerah", valid_from=local_today(), timezone=TZ, content=PolicyContent()))
    for address in (staff_address(tenant), head_address(tenant)):
        await eventually(mails(mail, address, "Surat Edaran 800/258-BKD/2022"), timeout=20,
                         what=f"policy notice to {address}")
    rows = await notify.wait_for(tenant, "the announcement to the one without an address, skipped", lambda rows: any(
        r["status"] == "skipped" for r in rows), kind="policy_updated")
    assert sorted(r["recipient"] for r in rows if r["channel"] == "email") == [HEAD, STAFF]
    # The one without an address is on record, not sent and not silently left out.
    [skipped] = [r for r in rows if r["channel"] == "log"]
    assert (skipped["recipient"], skipped["status"], skipped["sent_at"]) == (UNREACHABLE, "skipped", None)
    assert skipped["last_error"] == "no address (email)", skipped


async def test_a_roster_is_sent_to_the_employees_on_it_with_a_reminder_the_day_before_an_office_day(
    notify: NotifyService, bus: Bus, mail: MailServer
) -> None:
    tenant = await dishub(notify, bus, "roster")
    today = local_today()
    tomorrow = today + timedelta(days=1)
    await bus.publish(tenant, RosterPublished(unit_id="dishub", start=tomorrow, end=tomorrow + timedelta(days=1),
                                              assignments=[
                                                  RosterAssignment(employee_id=STAFF, date=tomorrow, mode="wfo"),
                                                  RosterAssignment(employee_id=STAFF, date=tomorrow + timedelta(days=1),
                                                                   mode="wfh")]))
    roster = await eventually(mails(mail, staff_address(tenant), "Jadwal kerja"), timeout=20,
                              what="roster to the employee")
    assert "bekerja di kantor (WFO)" in roster[0].text and "bekerja dari rumah (WFH)" in roster[0].text
    rosters = await notify.log(tenant, kind="roster")
    assert [r["recipient"] for r in rosters] == [STAFF]  # the head is not on the roster
    everything = await notify.log(tenant)
    reminders = [r for r in everything if r["kind"] == "roster_day"]
    assert len(reminders) == 1, [(r["kind"], r["subject"], r["status"]) for r in everything]  # the office day only
    reminder = reminders[0]
    assert reminder["recipient"] == STAFF and reminder["occurrence"] == tomorrow.isoformat()
    assert reminder["subject"].startswith("Besok Anda bekerja di kantor")
    reminder_at = datetime.combine(today, datetime.min.time().replace(hour=16), ZoneInfo(TZ))
    due = datetime.fromisoformat(reminder["next_attempt_at"])
    assert due >= min(reminder_at, datetime.now(UTC) - timedelta(minutes=1))
    assert datetime.fromisoformat(reminder["expires_at"]) == datetime.combine(tomorrow, datetime.min.time(),
                                                                              ZoneInfo(TZ))


async def test_day_reminders_follow_what_each_roster_event_replaces(notify: NotifyService, bus: Bus) -> None:
    """An override moves the reminder of its one entry only (before, it cancelled the head's as
    "superseded"); the chunks of a new roster do not cancel each other's reminders; an older
    roster delivered again, or late, moves none."""
    tenant = await dishub(notify, bus, "reminders")
    d1, d2 = local_today() + timedelta(days=3), local_today() + timedelta(days=4)  # reminders due days ahead

    def roster(revision: int, modes: dict[tuple[str, date], str], replaces: str = "range",
               size: int = 2000) -> list[RosterPublished]:
        start, end = (d1, d2) if replaces == "range" else (min(d for _, d in modes), max(d for _, d in modes))
        return rosters.events("dishub", start, end, [
            RosterAssignment(employee_id=n, date=d, mode=m) for (n, d), m in sorted(modes.items())],  # type: ignore[arg-type]
            replaces=replaces, revision=revision, size=size)  # type: ignore[arg-type]

    async def live_reminders(expected: dict[tuple[str, date], str]) -> None:
        """Wait until the pending day reminders are those of ``expected``: entry -> the event that planned it."""
        want = {(n, d.isoformat()): event_id for (n, d), event_id in expected.items()}
        await notify.wait_for(tenant, f"pending reminders {want}", lambda rows: sorted(
            ((r["recipient"], r["occurrence"]), r["source_event_id"]) for r in rows if r["status"] == "pending"
        ) == sorted(want.items()), kind="roster_day")

    first = roster(1, {(HEAD, d1): "wfo", (HEAD, d2): "wfo", (STAFF, d1): "wfh", (STAFF, d2): "wfo"})
    e1 = await bus.publish(tenant, first[0])
    await live_reminders({(HEAD, d1): e1, (HEAD, d2): e1, (STAFF, d2): e1})

    e2 = await bus.publish(tenant, roster(2, {(STAFF, d1): "wfo"}, replaces="assignments")[0])
    await live_reminders({(HEAD, d1): e1, (HEAD, d2): e1, (STAFF, d1): e2, (STAFF, d2): e1})

    # A new roster in four chunks (one entry each), the last first: the head stays home on d1.
    chunks = roster(3, {(HEAD, d1): "wfh", (HEAD, d2): "wfo", (STAFF, d1): "wfo", (STAFF, d2): "wfo"}, size=1)
    c = {i: await bus.publish(tenant, chunks[i]) for i in reversed(range(4))}
    # The first roster again: redelivered under its own id, then late under a new one; then an
    # override of the head's d1, whose reminder says both were handled (one partition: in order).
    await bus.publish(tenant, first[0], ce_id=e1)
    await bus.publish(tenant, first[0])
    e4 = await bus.publish(tenant, roster(4, {(HEAD, d1): "wfo"}, replaces="assignments")[0])
    await live_reminders({(HEAD, d1): e4, (HEAD, d2): c[1], (STAFF, d1): c[2], (STAFF, d2): c[3]})
    statuses = Counter(r["status"] for r in await notify.log(tenant, kind="roster_day"))
    assert statuses == {"pending": 4, "cancelled": 4}  # e1's three and e2's one


async def test_policy_notice_states_the_sector_and_quota_the_shared_rules_give(
        notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    # The letter names the department; its branch states nothing, so it inherits the letter's
    # sector (not the directory's). The letter leaves non-essential out: the SE default, 25 %.
    tenant = tenant_id("sector")
    branch, other = nip(60), nip(61)
    await bus.publish(tenant, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant, name=f"Pemerintah {tenant}", kind="province", timezone="Asia/Jakarta")))
    for unit in (UnitRecord(id="opd", name="Dinas", sector=Sector.ESSENTIAL, effective_sector=Sector.ESSENTIAL),
                 UnitRecord(id="upt", name="UPT", parent_id="opd", effective_sector=Sector.ESSENTIAL),
                 UnitRecord(id="lain", name="Lain", effective_sector=Sector.NON_ESSENTIAL)):
        await bus.publish(tenant, DirectoryUpdatedV2(entity="unit", unit=unit))
    for person in (employee(branch, "Budi", "upt", email=f"budi@upt.{tenant}"),
                   employee(other, "Sari", "lain", email=f"sari@lain.{tenant}")):
        await bus.person(tenant, person)
    await notify.wait_directory(tenant, 2)

    async def units_known() -> bool:
        rows = await notify.query("SELECT count(*) AS n FROM units WHERE tenant = $1", tenant)
        return rows[0]["n"] == 3

    await eventually(units_known, timeout=20, what="the units of the tenant in notify")
    content = PolicyContent(unit_sectors={"opd": Sector.CRITICAL},
                            sector_quotas={Sector.CRITICAL: 100, Sector.ESSENTIAL: 50})
    await bus.publish(tenant, PolicyUpdated(
        policy_id="se-1", number="800/258-BKD/2022", version=1, title="Penyesuaian sistem kerja ASN",
        valid_from=date.today(), timezone="Asia/Jakarta", content=content))
    told = {}
    for address in (f"budi@upt.{tenant}", f"sari@lain.{tenant}"):
        found = await eventually(mails(mail, address, "Surat Edaran"), timeout=20, what=f"policy notice to {address}")
        told[address] = found[0].text
    assert "Unit Anda termasuk sektor kritikal: 100% pegawai bekerja di kantor." in told[f"budi@upt.{tenant}"]
    assert "Unit Anda termasuk sektor non-esensial: 25% pegawai bekerja di kantor." in told[f"sari@lain.{tenant}"]
