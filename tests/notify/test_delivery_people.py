"""What people receive from the notify service: one e-mail for a redelivered event, WhatsApp
in the language they prefer, quiet hours that defer them (but not webhooks), and the
escalation to the unit head at the configured count.

The service runs as a process on real Kafka and PostgreSQL with a real SMTP server and a
real HTTP receiver for WhatsApp and webhooks (:mod:`tests.notify.conftest`); events go to
Kafka exactly as the producing services send them. Each test has its own tenant.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.events import ReportDueSoon
from tests.notify.conftest import WHATSAPP_PHONE_ID, WHATSAPP_TOKEN
from tests.notify.harness import Bus, NotifyService, employee, mails, nip, overdue, settle, tenant_id
from tests.notify.receivers import HttpReceiver, MailServer
from tests.support.tokens import Tokens
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra


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

    sent = await bus.wait_sent(tenant, rows[0]["id"], "notification.sent on Kafka")
    assert [(e["channel"], e["status"], e["recipient"]) for e in sent] == [("email", "sent", a)]


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
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, mail: MailServer
) -> None:
    tenant = tenant_id("quiet")
    a = nip(20)
    zone = ZoneInfo("Asia/Makassar")
    local = datetime.now(zone)
    start, end = (local - timedelta(hours=1)).time(), (local + timedelta(hours=2)).time()
    await notify.configure(tenant, quiet=(start.strftime("%H:%M"), end.strftime("%H:%M")))
    path = f"/hooks/{tenant}"
    await notify.subscribe(tenant, receiver.url + path, ["report.overdue"])
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
