"""Decisions on an employee's days, told by notify: an absence request to the unit head, one
awaiting the BKD to the BKD's people, the decision (with its note) to the employee, a
cancellation to the head; a correction request to the head and its decision to the employee; a
returned report to the employee. Each state is told once: a copy of its event under another id,
or an older revision arriving late, tells nobody again.

Notify's handlers run in the test's process on a real PostgreSQL database
(:mod:`tests.notify.handling`), each event in its own transaction as the consumer applies it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.events import PolicyUpdated
from services.contracts.policy import AbsenceKind, CheckinKind, PolicyContent
from services.runtime.service import ServiceRuntime
from tests.notify.handling import Notify
from tests.notify.harness import employee, nip, tenant_id

pytestmark = pytest.mark.infra

HEAD, STAFF, BKD, PARENT_HEAD = nip(80), nip(81), nip(82), nip(83)
ABSENCE = uuid.UUID("7d4f3a52-8a8f-4a51-9b0e-1f2d3c4b5a69")


async def tenant(rt: ServiceRuntime, prefix: str) -> Notify:
    notify = Notify(rt, tenant_id(prefix))
    await notify.directory([
        employee(HEAD, "Kepala Dishub", "dishub", email="kepala@dishub.uji", head=True),
        employee(STAFF, "Budi Santoso", "dishub", email="budi@dishub.uji"),
        employee(BKD, "Rina BKD", "bkd", email="rina@bkd.uji"),
        employee(PARENT_HEAD, "Sekda", "setda", email="sekda@setda.uji", head=True),
    ], {"setda": None, "dishub": "setda", "bkd": "setda"})
    return notify


def absence(status: str, revision: int, *, note: str | None = None, who: str = STAFF,
            cancelled_from: date | None = None, kind: AbsenceKind = AbsenceKind.CUTI) -> AbsenceUpdated:
    return AbsenceUpdated(absence_id=ABSENCE, employee_id=who, unit_id="dishub", kind=kind,
                          start=date(2026, 12, 3), end=date(2026, 12, 5), status=status,  # type: ignore[arg-type]
                          decision_note=note, revision=revision, cancelled_from=cancelled_from,
                          needs_bkd=status == "awaiting_bkd", at=datetime.now(UTC))


async def test_the_head_hears_of_a_request_once_and_the_employee_of_the_decision_with_its_note(
        rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "absence")
    await notify.handle(absence("requested", 1))
    await notify.handle(absence("requested", 1))  # the same state again, under another event id
    told = await notify.log(kind="absence_requested")
    assert [(r.recipient, r.channel, r.address) for r in told] == [(HEAD, "email", "kepala@dishub.uji")]
    assert told[0].subject == "Permohonan cuti dari Budi Santoso, 3–5 Desember 2026 — mohon diputuskan"
    assert "NIP " + STAFF in told[0].body and "Dinas DISHUB" in told[0].body

    await notify.handle(absence("approved", 2, note="Semoga lekas kembali"))
    await notify.handle(absence("requested", 1))  # the request, late: overtaken, tells nobody again
    decided = await notify.log(kind="absence_decided")
    assert [r.recipient for r in decided] == [STAFF]
    assert decided[0].subject == "Permohonan cuti 3–5 Desember 2026 disetujui"
    assert "Catatan: Semoga lekas kembali" in decided[0].body
    assert len(await notify.log(kind="absence_requested")) == 1
    assert {r.kind for r in await notify.log()} == {"absence_requested", "absence_decided"}


async def test_a_rejection_in_english_and_a_cancellation_to_the_head(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "absence-en")
    await notify.prefer(STAFF, "en")
    await notify.handle(absence("rejected", 2, note="Staff shortage that week", kind=AbsenceKind.DINAS_LUAR))
    [rejected] = await notify.log(kind="absence_decided")
    assert rejected.language == "en"
    assert rejected.subject == "Official travel request 3–5 December 2026 rejected"
    assert "Note: Staff shortage that week" in rejected.body and "do not need to check in" not in rejected.body

    await notify.handle(absence("cancelled", 3, kind=AbsenceKind.DINAS_LUAR))
    [cancelled] = await notify.log(kind="absence_cancelled")
    assert cancelled.recipient == HEAD and cancelled.subject.endswith("dibatalkan")


async def test_an_absence_awaiting_the_bkd_reaches_the_people_the_tenant_named(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "awaiting")
    await notify.configure(bkd=[BKD])
    await notify.handle(absence("awaiting_bkd", 2))
    told = await notify.log(kind="absence_awaiting_bkd")
    assert [(r.recipient, r.address) for r in told] == [(BKD, "rina@bkd.uji")]
    assert told[0].subject == "Persetujuan BKD: cuti Budi Santoso, 3–5 Desember 2026"


async def test_without_named_bkd_people_the_notice_is_kept_on_record_for_the_admin(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "awaiting-none")
    await notify.handle(absence("awaiting_bkd", 2))
    told = await notify.log(kind="absence_awaiting_bkd")
    assert [(r.recipient, r.channel, r.unit_id) for r in told] == [("bkd", "log", None)]


async def test_a_heads_own_request_goes_to_the_head_above(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "own")
    await notify.handle(absence("requested", 1, who=HEAD, kind=AbsenceKind.SAKIT))
    told = await notify.log(kind="absence_requested")
    assert [r.recipient for r in told] == [PARENT_HEAD]
    assert told[0].subject.startswith("Permohonan sakit dari Kepala Dishub")


async def test_a_correction_request_to_the_head_and_its_decision_to_the_employee(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "correction")
    await notify.handle(PolicyUpdated(policy_id="se-1", number="800/1-BKD/2026", version=1, title="WFH",
                                      valid_from=date(2026, 1, 1), timezone="Asia/Jakarta", content=PolicyContent()))
    correction = uuid.uuid4()

    def state(status: str, revision: int, note: str | None = None) -> CorrectionUpdated:
        return CorrectionUpdated(correction_id=correction, employee_id=STAFF, unit_id="dishub",
                                 local_date=date(2026, 12, 2), window_id="location-1", contested="late",
                                 status=status, decision_note=note, revision=revision,  # type: ignore[arg-type]
                                 at=datetime.now(UTC))

    await notify.handle(state("requested", 1))
    [asked] = await notify.log(kind="correction_requested")
    window = PolicyContent().window("location-1")
    assert window is not None
    assert asked.recipient == HEAD
    assert asked.subject == f"Permohonan koreksi dari Budi Santoso: {window.name}, Rabu, 2 Desember 2026"
    assert '"terlambat"' in asked.body

    await notify.handle(state("approved", 2, "Sinyal di lokasi memang buruk"))
    await notify.handle(state("approved", 2, "Sinyal di lokasi memang buruk"))
    [decided] = await notify.log(kind="correction_decided")
    assert decided.recipient == STAFF and decided.subject.endswith(": disetujui")
    assert "Catatan: Sinyal di lokasi memang buruk" in decided.body


async def test_a_returned_report_is_told_to_the_employee_and_an_approved_one_to_nobody(rt: ServiceRuntime) -> None:
    notify = await tenant(rt, "review")
    returned, approved = uuid.uuid4(), uuid.uuid4()

    def review(checkin: uuid.UUID, decision: str, revision: int, note: str | None = None) -> CheckinReviewed:
        return CheckinReviewed(checkin_id=checkin, employee_id=STAFF, unit_id="dishub",
                               kind=CheckinKind.ACTIVITY_REPORT, local_date=date(2026, 12, 2), window_id="report",
                               decision=decision, note=note, revision=revision,  # type: ignore[arg-type]
                               at=datetime.now(UTC))

    await notify.handle(review(approved, "approved", 1))
    await notify.handle(review(returned, "returned", 1, "Lampirkan foto kegiatan"))
    await notify.handle(review(returned, "returned", 1, "Lampirkan foto kegiatan"))
    told = await notify.log()
    assert [(r.kind, r.recipient) for r in told] == [("checkin_returned", STAFF)]
    assert "dikembalikan oleh pimpinan unit: Lampirkan foto kegiatan" in told[0].body
    assert "kirim ulang" in told[0].subject
