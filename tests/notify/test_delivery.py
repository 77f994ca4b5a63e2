"""Acceptance tests of the notify service on real Kafka, PostgreSQL, SMTP and HTTP receivers.

The service runs as a process; events go to Kafka exactly as the producing services
send them. Each test has its own tenant. Backoff is shortened by settings (base 0.3 s,
cap 1.5 s, horizon 8 s) so retries finish in seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.events import (
    CheckinEvaluated,
    DirectoryUpdated,
    PolicyUpdated,
    ReportDueSoon,
    RosterAssignment,
    RosterPublished,
    TenantRecord,
    UnitRecord,
)
from services.contracts.policy import CheckinKind, PolicyContent, Sector
from tests.notify.conftest import WHATSAPP_PHONE_ID, WHATSAPP_TOKEN
from tests.notify.harness import Bus, NotifyService, employee, nip, overdue, tenant_id
from tests.notify.receivers import BadSignature, HttpReceiver, MailServer, verify_standard_webhook
from tests.support.tokens import Tokens
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra


async def settle(seconds: float = 1.5) -> None:
    """Give a wrong extra delivery the time to show up before asserting there was none."""
    await asyncio.sleep(seconds)


async def test_redelivered_overdue_event_sends_one_email(notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    tenant = tenant_id("dup")
    a = nip(1)
    await notify.configure(tenant)
    await bus.directory(tenant, "Asia/Makassar", {"bkd": None},
                        [employee(a, "Siti Rahma", "bkd", email=f"{a}@{tenant}.uji")])
    await notify.wait_directory(tenant, 1)

    event = overdue(a, "bkd", "lokasi-1", tz="Asia/Makassar")
    ce_id = await bus.publish(tenant, event)
    await bus.publish(tenant, event, ce_id=ce_id)  # the same CloudEvent again: a redelivery
    # A later event on the same key (same partition, after both copies) marks that both were consumed.
    marker = ReportDueSoon(**{**event.model_dump(), "window_id": "lokasi-2", "window_name": "Lokasi siang",
                              "deadline": datetime.now(UTC) + timedelta(minutes=30)})
    await bus.publish(tenant, marker)

    await eventually(mails(mail, f"{a}@{tenant}.uji", "Pengingat"), timeout=20, what="marker reminder")
    await settle()
    notices = mail.to(f"{a}@{tenant}.uji", "Laporan belum masuk")
    assert len(notices) == 1, [m.subject for m in mail.to(f"{a}@{tenant}.uji")]
    text = notices[0].text
    assert "belum kami terima" in text and "Siti Rahma" in text
    expected_local = event.deadline.astimezone(ZoneInfo("Asia/Makassar")).strftime("%H:%M")
    assert f"{expected_local} WITA" in text

    rows = await notify.log(tenant, source_event_id=ce_id)
    assert [(r["channel"], r["status"], r["attempts"]) for r in rows] == [("email", "sent", 1)]
    assert notices[0].message["Message-ID"] == f"<{rows[0]['id']}@notify.hadir>"

    async def audit() -> list | None:
        # Only this service's rows: another notify (the end-to-end suite's) may read the same topics.
        sent = [e for e in await bus.sent_events(tenant) if e["notification_id"] == rows[0]["id"]]
        return sent or None

    sent = await eventually(audit, timeout=15, what="notification.sent on Kafka")
    assert [(e["channel"], e["status"], e["recipient"]) for e in sent] == [("email", "sent", a)]


async def test_integrator_verifies_every_signature_across_a_rotation(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("sig")
    a = nip(2)
    path = f"/hooks/{tenant}"
    integrator = tokens.headers(tenant=tenant, roles=["integrator"], subject="siak-integrator")
    await notify.configure(tenant)
    await bus.directory(tenant, "Asia/Jayapura", {"bpkad": None}, [employee(a, "Yohanes", "bpkad")])
    await notify.wait_directory(tenant, 1)

    r = await notify.http.post("/v1/webhooks", headers=integrator,
                               json={"url": receiver.url + path, "event_types": ["report.*"]})
    assert r.status_code == 201, r.text
    subscription, first = r.json()["id"], r.json()["secret"]
    assert first.startswith("whsec_")

    async def deliver(window: str) -> tuple[str, dict]:
        ce_id = await bus.publish(tenant, overdue(a, "bpkad", window, tz="Asia/Jayapura"))
        rows = await notify.wait_for(tenant, f"webhook for {window} sent",
                                     lambda rows: rows and rows[0]["status"] == "sent",
                                     source_event_id=ce_id, channel="webhook")
        request = next(q for q in receiver.at(path) if q.headers["webhook-id"] == rows[0]["id"])
        return ce_id, {"row": rows[0], "request": request}

    ce_1, one = await deliver("w1")
    r = await notify.http.post(f"/v1/webhooks/{subscription}/rotate-secret", headers=integrator,
                               json={"grace_seconds": 3600})
    assert r.status_code == 200, r.text
    second = r.json()["secret"]
    _, two = await deliver("w2")
    r = await notify.http.post(f"/v1/webhooks/{subscription}/rotate-secret", headers=integrator,
                               json={"grace_seconds": 0})
    third = r.json()["secret"]
    _, three = await deliver("w3")

    assert len(receiver.at(path)) == 3
    for delivered, valid in ((one, [first]), (two, [first, second]), (three, [third])):
        request = delivered["request"]  # verifies with every secret valid when it was sent
        for secret in valid:
            verify_standard_webhook(secret, request.headers, request.body)
        assert abs(int(request.headers["webhook-timestamp"]) - request.received_at) < 5
    # During the rotation both signatures are present; after it the old secrets no longer sign.
    assert len(two["request"].headers["webhook-signature"].split(" ")) == 2
    for secret in (first, second):
        with pytest.raises(BadSignature):
            verify_standard_webhook(secret, three["request"].headers, three["request"].body)
    # The verifier does reject: a tampered body and a stale timestamp fail.
    with pytest.raises(BadSignature):
        verify_standard_webhook(first, one["request"].headers, one["request"].body + b" ")
    with pytest.raises(BadSignature):
        verify_standard_webhook(first, one["request"].headers, one["request"].body, now=time.time() + 600)

    body = one["request"].json()
    assert body["type"] == "report.overdue"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["source_event_id"] == ce_1 and body["data"]["employee_id"] == a
    assert one["request"].headers["content-type"] == "application/json"


async def test_receiver_failing_three_times_gets_one_success(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("flaky")
    a = nip(3)
    path = f"/hooks/{tenant}"
    receiver.script(path, [500, 503, 500])
    await notify.configure(tenant)
    r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                               json={"url": receiver.url + path, "event_types": ["report.overdue"]})
    assert r.status_code == 201, r.text

    ce_id = await bus.publish(tenant, overdue(a, "dinkes", "w1"))
    rows = await notify.wait_for(tenant, "webhook delivered after retries",
                                 lambda rows: rows and rows[0]["status"] == "sent",
                                 source_event_id=ce_id, channel="webhook")
    await settle()
    requests = receiver.at(path)
    assert [q.answered for q in requests] == [500, 503, 500, 200]
    assert {q.headers["webhook-id"] for q in requests} == {rows[0]["id"]}  # one message, retried
    assert len({q.body for q in requests}) == 1

    detail = await notify.detail(tenant, rows[0]["id"])
    assert detail["attempts"] == 4 and detail["status"] == "sent"
    assert [(x["attempt"], x["outcome"], x["status_code"]) for x in detail["attempt_log"]] == [
        (1, "retry", 500), (2, "retry", 503), (3, "retry", 500), (4, "ok", 200)]
    # Exponential backoff: each wait is at least half its ceiling (0.3 s, 0.6 s, 1.2 s; equal jitter).
    gaps = [b.received_at - a_.received_at for a_, b in itertools.pairwise(requests)]
    for n, gap in enumerate(gaps, start=1):
        assert gap >= 0.3 * 2 ** (n - 1) / 2 - 0.05, gaps


async def test_dead_after_horizon_visible_and_retryable(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("dead")
    path = f"/hooks/{tenant}"
    receiver.answer_always(path, 500)
    await notify.configure(tenant)
    r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                               json={"url": receiver.url + path, "event_types": ["*"]})
    assert r.status_code == 201, r.text
    ce_id = await bus.publish(tenant, overdue(nip(4), "dinkes", "w1"))

    dead = await notify.wait_for(tenant, "dead letter", lambda rows: bool(rows), status="dead", timeout=30)
    assert dead[0]["source_event_id"] == ce_id and dead[0]["attempts"] >= 3
    assert "HTTP 500" in dead[0]["last_error"]

    async def audit() -> list | None:
        return [e for e in await bus.sent_events(tenant) if e["notification_id"] == dead[0]["id"]] or None

    [audited] = await eventually(audit, timeout=15, what="notification.sent dead")
    assert (audited["channel"], audited["status"]) == ("webhook", "dead")

    receiver.answer_always(path, 204)
    r = await notify.http.post(f"/v1/notifications/{dead[0]['id']}/retry", headers=tokens.admin(tenant))
    assert r.status_code == 200, r.text
    await notify.wait_for(tenant, "sent after a manual retry", lambda rows: rows and rows[0]["status"] == "sent",
                          source_event_id=ce_id)


async def test_escalation_fires_at_the_configured_count_and_not_before(
    notify: NotifyService, bus: Bus, mail: MailServer
) -> None:
    tenant = tenant_id("esc")
    head, staff, other_head = nip(10), nip(11), nip(12)
    await notify.configure(tenant, daily=3)
    await bus.directory(tenant, "Asia/Jakarta", {"dinkes": None, "bkd": None}, [
        employee(head, "dr. Kepala Dinkes", "dinkes", email=f"kepala@dinkes.{tenant}", head=True),
        employee(staff, "Andi", "dinkes", email=f"andi@dinkes.{tenant}"),
        employee(other_head, "Kepala BKD", "bkd", email=f"kepala@bkd.{tenant}", head=True),
    ])
    await notify.wait_directory(tenant, 3)
    day = date(2026, 3, 2)

    async def miss(window: str, count: int) -> None:
        await bus.publish(tenant, overdue(staff, "dinkes", window, day=day))
        await eventually(mails(mail, f"andi@dinkes.{tenant}", "Laporan belum masuk", count), timeout=20,
                         what=f"notice {count} to the employee")

    await miss("w1", 1)
    await miss("w2", 2)
    await settle(1.0)
    assert mail.to(f"kepala@dinkes.{tenant}") == []
    assert await notify.log(tenant, kind="escalation") == []

    await miss("w3", 3)
    await eventually(mails(mail, f"kepala@dinkes.{tenant}", "Eskalasi"), timeout=20, what="escalation")
    # The same window again (another event id) and a fourth window: no second escalation today.
    await bus.publish(tenant, overdue(staff, "dinkes", "w3", day=day))
    await miss("w4", 5)
    await settle()
    escalations = mail.to(f"kepala@dinkes.{tenant}", "Eskalasi")
    assert len(escalations) == 1
    assert "Andi" in escalations[0].text and "3 kali" in escalations[0].text
    assert mail.to(f"kepala@bkd.{tenant}") == []  # another unit's head is not told
    rows = await notify.log(tenant, kind="escalation")
    assert [(r["recipient"], r["occurrence"]) for r in rows] == [(head, "day:2026-03-02")]


async def test_quiet_hours_defer_people_but_not_webhooks(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, mail: MailServer, tokens: Tokens
) -> None:
    tenant = tenant_id("quiet")
    a = nip(20)
    zone = ZoneInfo("Asia/Makassar")
    local = datetime.now(zone)
    start, end = (local - timedelta(hours=1)).time(), (local + timedelta(hours=2)).time()
    await notify.configure(tenant, quiet=(start.strftime("%H:%M"), end.strftime("%H:%M")))
    path = f"/hooks/{tenant}"
    r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                               json={"url": receiver.url + path, "event_types": ["report.overdue"]})
    assert r.status_code == 201, r.text
    await bus.directory(tenant, "Asia/Makassar", {"bkd": None}, [employee(a, "Wayan", "bkd", email=f"wayan@{tenant}")])
    await notify.wait_directory(tenant, 1)

    ce_id = await bus.publish(tenant, overdue(a, "bkd", "w1", tz="Asia/Makassar"))
    await notify.wait_for(tenant, "webhook sent at night", lambda rows: rows and rows[0]["status"] == "sent",
                          source_event_id=ce_id, channel="webhook")
    await settle(1.0)
    assert mail.to(f"wayan@{tenant}") == []
    [row] = await notify.log(tenant, source_event_id=ce_id, channel="email")
    assert row["status"] == "pending" and row["attempts"] == 0
    release = datetime.fromisoformat(row["next_attempt_at"]).astimezone(zone)
    assert release.strftime("%H:%M") == end.strftime("%H:%M") and release > local


async def test_whatsapp_in_english_by_preference(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, mail: MailServer, tokens: Tokens
) -> None:
    tenant = tenant_id("wa")
    a = nip(30)
    digits = f"{uuid.uuid4().int % 10**8:08d}"  # a number of this run only: Kafka history is replayed
    await notify.configure(tenant)
    me = tokens.employee(tenant, a, "bkd")
    r = await notify.http.put("/v1/preferences/me", headers=me, json={"language": "en", "channels": ["whatsapp"]})
    assert r.status_code == 200 and r.json()["explicit"], r.text
    await bus.directory(tenant, "Asia/Jayapura", {"bkd": None},
                        [employee(a, "Maria", "bkd", email=f"maria@{tenant}", phone=f"0812-{digits[:4]}-{digits[4:]}")])
    await notify.wait_directory(tenant, 1)

    event = overdue(a, "bkd", "w1", tz="Asia/Jayapura")
    ce_id = await bus.publish(tenant, event)
    rows = await notify.wait_for(tenant, "whatsapp sent", lambda rows: rows and rows[0]["status"] == "sent",
                                 source_event_id=ce_id)
    assert [r_["channel"] for r_ in rows] == ["whatsapp"]
    assert rows[0]["provider_ref"].startswith("wamid.")
    [request] = [q for q in receiver.at(f"/wa/v21.0/{WHATSAPP_PHONE_ID}/messages")
                 if q.json()["to"] == f"62812{digits}"]
    assert request.headers["authorization"] == f"Bearer {WHATSAPP_TOKEN}"
    message = request.json()
    assert message["messaging_product"] == "whatsapp" and message["type"] == "text"
    deadline = event.deadline.astimezone(ZoneInfo("Asia/Jayapura")).strftime("%H:%M")
    assert "Dear Maria" in message["text"]["body"] and f"{deadline} WIT" in message["text"]["body"]
    assert mail.to(f"maria@{tenant}") == []  # she chose WhatsApp only


async def test_flagged_checkins_policy_and_roster_reach_the_right_people(
    notify: NotifyService, bus: Bus, mail: MailServer
) -> None:
    tenant = tenant_id("misc")
    head, staff, unreachable = nip(40), nip(41), nip(42)
    tz = "Asia/Jakarta"
    await notify.configure(tenant)
    await bus.directory(tenant, tz, {"dishub": None}, [
        employee(head, "Kepala Dishub", "dishub", email=f"kepala@dishub.{tenant}", head=True),
        employee(staff, "Budi", "dishub", email=f"budi@dishub.{tenant}"),
        employee(unreachable, "Citra", "dishub"),  # no address: announcements skip her
    ])
    await notify.wait_directory(tenant, 3)
    now = datetime.now(UTC)

    def checkin(**verdict: object) -> CheckinEvaluated:
        return CheckinEvaluated(checkin_id=uuid.uuid4(), employee_id=staff, unit_id="dishub",
                                kind=CheckinKind.LOCATION, captured_at=now, received_at=now, local_date=now.date(),
                                status="on_time", **verdict)  # type: ignore[arg-type]

    await bus.publish(tenant, checkin(geofence="inside"))
    await bus.publish(tenant, checkin(geofence="outside", distance_m=812.0, nearest_place="Rumah",
                                      suspicious=True, reasons=["mock_location"]))
    flagged = await eventually(mails(mail, f"kepala@dishub.{tenant}", "Check-in perlu diperiksa"), timeout=20,
                               what="flag to the head")
    assert "di luar geofence (812 m dari Rumah)" in flagged[0].text and "lokasi palsu" in flagged[0].text

    today = now.astimezone(ZoneInfo(tz)).date()
    tomorrow = today + timedelta(days=1)
    await bus.publish(tenant, PolicyUpdated(
        policy_id="se-1", number="800/258-BKD/2022", version=1, title="Penyesuaian sistem kerja ASN",
        signatory="Sekretaris Daerah", valid_from=today, timezone=tz, content=PolicyContent()))
    await bus.publish(tenant, RosterPublished(unit_id="dishub", start=tomorrow, end=tomorrow + timedelta(days=1),
                                              assignments=[
                                                  RosterAssignment(employee_id=staff, date=tomorrow, mode="wfo"),
                                                  RosterAssignment(employee_id=staff, date=tomorrow + timedelta(days=1),
                                                                   mode="wfh")]))
    for address in (f"budi@dishub.{tenant}", f"kepala@dishub.{tenant}"):
        await eventually(mails(mail, address, "Surat Edaran 800/258-BKD/2022"), timeout=20,
                         what=f"policy notice to {address}")
    roster = await eventually(mails(mail, f"budi@dishub.{tenant}", "Jadwal kerja"), timeout=20,
                              what="roster to the employee")
    assert "bekerja di kantor (WFO)" in roster[0].text and "bekerja dari rumah (WFH)" in roster[0].text
    assert mail.to(f"kepala@dishub.{tenant}", "Jadwal kerja") == []  # not on the roster
    policy_rows = await notify.log(tenant, kind="policy_updated")
    assert sorted(r_["recipient"] for r_ in policy_rows) == [head, staff]
    everything = await notify.log(tenant)
    reminders = [r_ for r_ in everything if r_["kind"] == "roster_day"]
    assert len(reminders) == 1, [(r_["kind"], r_["subject"], r_["status"]) for r_ in everything]
    reminder = reminders[0]
    assert reminder["recipient"] == staff and reminder["occurrence"] == tomorrow.isoformat()
    assert reminder["subject"].startswith("Besok Anda bekerja di kantor")
    reminder_at = datetime.combine(today, datetime.min.time().replace(hour=16), ZoneInfo(tz))
    due = datetime.fromisoformat(reminder["next_attempt_at"])
    assert due >= min(reminder_at, datetime.now(UTC) - timedelta(minutes=1))
    assert datetime.fromisoformat(reminder["expires_at"]) == datetime.combine(tomorrow, datetime.min.time(),
                                                                              ZoneInfo(tz))


async def test_policy_notice_states_the_sector_and_quota_the_shared_rules_give(
        notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    # The letter names the department; its branch states nothing, so it inherits the letter's
    # sector (not the directory's). The letter leaves non-essential out: the SE default, 25 %.
    tenant = tenant_id("sector")
    branch, other = nip(60), nip(61)
    await bus.publish(tenant, DirectoryUpdated(entity="tenant", tenant=TenantRecord(
        id=tenant, name=f"Pemerintah {tenant}", kind="province", timezone="Asia/Jakarta")))
    for unit in (UnitRecord(id="opd", name="Dinas", sector=Sector.ESSENTIAL, effective_sector=Sector.ESSENTIAL),
                 UnitRecord(id="upt", name="UPT", parent_id="opd", effective_sector=Sector.ESSENTIAL),
                 UnitRecord(id="lain", name="Lain", effective_sector=Sector.NON_ESSENTIAL)):
        await bus.publish(tenant, DirectoryUpdated(entity="unit", unit=unit))
    for person in (employee(branch, "Budi", "upt", email=f"budi@upt.{tenant}"),
                   employee(other, "Sari", "lain", email=f"sari@lain.{tenant}")):
        await bus.publish(tenant, DirectoryUpdated(entity="employee", employee=person))
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


async def test_api_is_tenant_scoped_and_role_checked(notify: NotifyService, bus: Bus, tokens: Tokens) -> None:
    tenant, other = tenant_id("api"), tenant_id("api")
    a, b = nip(50), nip(51)
    await notify.configure(tenant)
    ce_a = await bus.publish(tenant, overdue(a, "bkd", "w1"))
    await bus.publish(tenant, overdue(b, "bkd", "w1"))
    await notify.wait_for(tenant, "two notices", lambda rows: len(rows) == 2)

    employee_token = tokens.employee(tenant, a, "bkd")
    mine = (await notify.http.get("/v1/notifications", headers=employee_token)).json()
    assert [(r["recipient"], r["source_event_id"]) for r in mine] == [(a, ce_a)]
    assert (await notify.http.get("/v1/notifications", headers=employee_token, params={"recipient": b})).json() == []
    detail = await notify.http.get(f"/v1/notifications/{mine[0]['id']}", headers=tokens.employee(tenant, b, "bkd"))
    assert detail.status_code == 404
    assert (await notify.http.get("/v1/notifications", headers=tokens.admin(other))).json() == []
    assert (await notify.http.get("/v1/notifications")).status_code == 401
    r = await notify.http.post("/v1/webhooks", headers=employee_token,
                               json={"url": "https://siak.example.go.id/hook", "event_types": ["*"]})
    assert r.status_code == 403
    r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                               json={"url": "https://siak.example.go.id/hook", "event_types": ["report.unknown"]})
    assert r.status_code == 422
    r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                               json={"url": "file:///etc/passwd", "event_types": ["*"]})
    assert r.status_code == 422
    created = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                                     json={"url": "https://siak.example.go.id/hook", "event_types": ["*"]})
    assert created.status_code == 201
    hook = created.json()["id"]
    assert (await notify.http.get(f"/v1/webhooks/{hook}", headers=tokens.admin(other))).status_code == 404
    listed = (await notify.http.get("/v1/webhooks", headers=tokens.admin(tenant))).json()
    assert [h["id"] for h in listed] == [hook] and "secret" not in listed[0]
    assert (await notify.http.put("/v1/settings", headers=employee_token, json={
        "quiet_hours": None, "escalate_daily": 1, "escalate_weekly": 1})).status_code == 403
    r = await notify.http.put(f"/v1/preferences/{b}", headers=tokens.admin(tenant),
                              json={"language": "en", "channels": ["email"]})
    assert r.status_code == 200 and r.json()["language"] == "en"
    assert (await notify.http.put(f"/v1/preferences/{b}", headers=employee_token,
                                  json={"language": "en"})).status_code == 403


def mails(mail: MailServer, address: str, subject: str = "", at_least: int = 1):  # type: ignore[no-untyped-def]
    """A probe for ``eventually``: the mails to ``address`` once there are ``at_least`` of them."""

    async def probe() -> list | None:
        found = mail.to(address, subject)
        return found if len(found) >= at_least else None

    return probe
