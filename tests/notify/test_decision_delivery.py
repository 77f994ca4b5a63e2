"""Decisions on absences through the notify process on real Kafka and PostgreSQL, with a real
SMTP server: the head is mailed an absence request once although its event is delivered again
(same id) and published again (another id); the employee is mailed the approval with the
head's note. The BKD threshold and recipients are tenant settings (``PUT /v1/settings``),
checked on the way in.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.contracts.decisions import AbsenceUpdated
from services.contracts.policy import AbsenceKind
from tests.notify.harness import Bus, NotifyService, employee, mails, nip, settle, tenant_id
from tests.notify.receivers import MailServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

HEAD, STAFF, BKD = nip(95), nip(96), nip(97)


def absence(absence_id: uuid.UUID, status: str, revision: int, note: str | None = None) -> AbsenceUpdated:
    return AbsenceUpdated(absence_id=absence_id, employee_id=STAFF, unit_id="dishub", kind=AbsenceKind.CUTI,
                          start=date(2026, 12, 3), end=date(2026, 12, 5), status=status,  # type: ignore[arg-type]
                          decision_note=note, revision=revision, at=datetime.now(UTC))


async def test_the_head_is_mailed_a_request_once_and_the_employee_the_decision(
        notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    tenant = tenant_id("absence")
    head, staff = f"kepala@dishub.{tenant}", f"siti@dishub.{tenant}"
    await notify.configure(tenant)
    await bus.directory(tenant, "Asia/Makassar", {"dishub": None}, [
        employee(HEAD, "Kepala Dishub", "dishub", email=head, head=True),
        employee(STAFF, "Siti Rahma", "dishub", email=staff)])
    await notify.wait_directory(tenant, 2)
    request = uuid.uuid4()
    ce_id = await bus.publish(tenant, absence(request, "requested", 1))
    await bus.publish(tenant, absence(request, "requested", 1), ce_id=ce_id)  # redelivered
    await bus.publish(tenant, absence(request, "requested", 1))  # published again
    await bus.publish(tenant, absence(request, "approved", 2, "Selamat berlibur"))  # same key: after the copies

    [decided] = await eventually(mails(mail, staff, "Permohonan cuti"), timeout=20, what="the decision mailed")
    assert decided.subject == "Permohonan cuti 3–5 Desember 2026 disetujui"
    assert "Catatan: Selamat berlibur" in decided.text
    await eventually(mails(mail, head, "Permohonan cuti dari Siti Rahma"), timeout=20, what="the request mailed")
    await settle()
    assert [m.subject for m in mail.to(head)] == [
        "Permohonan cuti dari Siti Rahma, 3–5 Desember 2026 — mohon diputuskan"]
    rows = await notify.log(tenant)
    assert sorted((r["kind"], r["recipient"], r["status"]) for r in rows) == [
        ("absence_decided", STAFF, "sent"), ("absence_requested", HEAD, "sent")]


async def test_the_bkd_settings_are_kept_and_checked(notify: NotifyService) -> None:
    tenant = tenant_id("bkd-settings")
    admin = notify.tokens.admin(tenant)
    body = {"quiet_hours": None, "escalate_daily": 3, "escalate_weekly": 8}
    r = await notify.http.get("/v1/settings", headers=admin)
    assert r.status_code == 200 and (r.json()["escalate_bkd_days"], r.json()["bkd_recipients"]) == (0, [])
    r = await notify.http.put("/v1/settings", headers=admin, json={**body, "escalate_bkd_days": 5,
                                                                   "bkd_recipients": [BKD, BKD]})
    assert r.status_code == 200, r.text
    assert (r.json()["escalate_bkd_days"], r.json()["bkd_recipients"]) == (5, [BKD])
    for bad in ({"escalate_bkd_days": 32}, {"bkd_recipients": ["12345"]}, {"bkd_recipients": [BKD] * 21}):
        r = await notify.http.put("/v1/settings", headers=admin, json={**body, **bad})
        assert r.status_code == 422, (bad, r.text)
    r = await notify.http.put("/v1/settings", headers=notify.tokens.employee(tenant, BKD, "bkd"),
                              json={**body, "escalate_bkd_days": 1})
    assert r.status_code == 403
    r = await notify.http.get("/v1/settings", headers=admin)
    assert (r.json()["escalate_bkd_days"], r.json()["bkd_recipients"]) == (5, [BKD])
