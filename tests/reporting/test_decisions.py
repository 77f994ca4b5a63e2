"""Absences, verdict corrections and reviews in reporting, on a real PostgreSQL: who is expected
(no reminder, no overdue notice for the excused), what the ledger, the daily report, its rows and
exports say (``excused`` with the kind, the original verdict beside a corrected one), how closed
windows react to decisions that come later, and that the latest revision of each decision wins
whatever the order of delivery."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.events import DirectoryUpdatedV2, TenantRecord
from services.contracts.policy import AbsenceKind, Sector
from services.contracts.rules.calendar import TenantCalendar
from services.reporting import api, decisions
from services.reporting.store import Absence
from services.runtime.outbox import envelope_for
from tests.reporting.conftest import (
    DAY,
    DUE_SOON,
    OVERDUE,
    K,
    apply,
    at,
    count,
    ledger,
    nip,
    outbox_events,
    seed,
    verdict,
)
from tests.support.tokens import Tokens
from tests.support.waiting import eventually

A, B, C = nip(31), nip(32), nip(33)
STAFF = [(A, "bkd"), (B, "bkd"), (C, "bkd")]
SECTORS = {"bkd": Sector.NON_ESSENTIAL}
TENANT = "banten"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def absence(who: str, start: date, end: date, status: str, revision: int, *, absence_id: uuid.UUID,
            kind: AbsenceKind = AbsenceKind.SAKIT, cancelled_from: date | None = None) -> AbsenceUpdated:
    return AbsenceUpdated(absence_id=absence_id, employee_id=who, unit_id="bkd", kind=kind, start=start, end=end,
                          status=status, cancelled_from=cancelled_from, revision=revision,  # type: ignore[arg-type]
                          at=NOW + timedelta(minutes=revision))


def correction(who: str, window_id: str, contested: str, status: str, revision: int, *,
               correction_id: uuid.UUID, day: date = DAY) -> CorrectionUpdated:
    return CorrectionUpdated(correction_id=correction_id, employee_id=who, unit_id="bkd", local_date=day,
                             window_id=window_id, contested=contested, status=status,  # type: ignore[arg-type]
                             revision=revision, at=at(12, revision))


def review(checkin_id: uuid.UUID, who: str, decision: str, revision: int) -> CheckinReviewed:
    return CheckinReviewed(checkin_id=checkin_id, employee_id=who, unit_id="bkd", kind=K.LOCATION, local_date=DAY,
                           window_id="lokasi", decision=decision, revision=revision,  # type: ignore[arg-type]
                           at=at(13, revision))


async def notified(rt: Any, ce_type: str, window_id: str, day: date = DAY) -> list[str]:
    return sorted(s for s, p in await outbox_events(rt, ce_type)
                  if p["window_id"] == window_id and p["local_date"] == day.isoformat())


@pytest.fixture
async def client(reporting: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.runtime = reporting.rt
    for router in api.ROUTERS:
        app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as c:
        yield c


def admin(reporting: Any) -> dict[str, str]:
    return Tokens(Path(reporting.rt.settings.jwt_jwks_file).with_name("private.pem")).admin(TENANT)


async def test_an_approved_sick_leave_excuses_the_day_everywhere_and_a_rejected_one_changes_nothing(
        reporting: Any, client: httpx.AsyncClient) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    await apply(rt, TENANT,
                absence(A, DAY - timedelta(days=1), DAY + timedelta(days=1), "approved", 2, absence_id=uuid.uuid4()),
                absence(B, DAY, DAY, "rejected", 2, absence_id=uuid.uuid4(), kind=AbsenceKind.CUTI))
    await scheduler.scan(at(7, 36))
    await scheduler.scan(at(7, 45, 11))
    # A is excused: no reminder, no overdue notice; B (rejected) and C are expected as ever.
    assert await notified(rt, DUE_SOON, "apel") == [B, C]
    assert await notified(rt, OVERDUE, "apel") == [B, C]
    rows = await ledger(rt, TENANT, "apel")
    assert {n: (r.status, r.absence_kind, r.overdue) for n, r in rows.items()} == {
        A: ("excused", "sakit", False), B: ("missing", None, True), C: ("missing", None, True)}

    # The daily report: one closed window (counted from the ledger), one not closed (built live; the
    # request's clock is long past the day, so its rows are missing rather than pending).
    report = (await client.get("/v1/reports/daily", headers=admin(reporting),
                               params={"date": str(DAY)})).json()
    apel, lokasi = report["windows"]
    assert (apel["expected"], apel["missing"], apel["excused"]) == (2, 2, 1)
    assert (lokasi["finalized"], lokasi["expected"], lokasi["missing"], lokasi["excused"]) == (False, 2, 2, 1)
    assert (report["totals"]["expected"], report["totals"]["excused"]) == (4, 2)
    [unit] = report["units"]
    assert unit["totals"]["excused"] == 2
    listed = (await client.get("/v1/reports/daily/rows", headers=admin(reporting),
                               params={"date": str(DAY)})).json()["items"]
    excused = [r for r in listed if r["nip"] == A]
    assert [(r["window_id"], r["status"], r["absence_kind"]) for r in excused] == [
        ("apel", "excused", "sakit"), ("lokasi", "excused", "sakit")]
    assert excused[0]["status_name"] == {"id": "Dikecualikan", "en": "Excused"}
    assert excused[0]["absence_name"] == {"id": "Sakit", "en": "Sick leave"}
    assert len(listed) == 6 and sum(r["status"] == "excused" for r in listed) == report["totals"]["excused"]

    # CSV and XLSX say it too.
    detail = (await client.get("/v1/reports/daily/export", headers=admin(reporting),
                               params={"date": str(DAY), "format": "csv", "sheet": "rincian"})).content
    table = list(csv.DictReader(io.StringIO(detail.decode("utf-8-sig"))))
    mine = [r for r in table if r["NIP"] == A]
    assert {(r["Status"], r["Jenis Ketidakhadiran"]) for r in mine} == {("Dikecualikan", "Sakit")}
    assert {r["Status"] for r in table if r["NIP"] == B} == {"Tidak lapor"}
    summary = (await client.get("/v1/reports/daily/export", headers=admin(reporting),
                                params={"date": str(DAY), "format": "csv"})).content
    total = list(csv.DictReader(io.StringIO(summary.decode("utf-8-sig"))))[-1]
    assert total["Dikecualikan (Cuti/Izin/Sakit/Dinas Luar/Koreksi)"] == "2" and total["Wajib Lapor"] == "4"
    book = openpyxl.load_workbook(io.BytesIO((await client.get(
        "/v1/reports/daily/export", headers=admin(reporting), params={"date": str(DAY), "format": "xlsx"})).content))
    sheet = book["Rincian"]
    headers = [c.value for c in sheet[1]]
    values = [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert {(v["Status"], v["Jenis Ketidakhadiran"]) for v in values if v["NIP"] == A} == {("Dikecualikan", "Sakit")}

    # The day after the absence ends, A is expected again.
    await scheduler.scan(at(7, 45, 11, DAY + timedelta(days=2)))
    assert A in await notified(rt, OVERDUE, "apel", DAY + timedelta(days=2))


async def test_revisions_out_of_order_and_redelivered_change_nothing_and_cancelling_restores_from_then_on(
        reporting: Any) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS, effective_at=at(0, 0, 0, DAY - timedelta(days=9)))
    leave = uuid.uuid4()
    first, last = DAY - timedelta(days=1), DAY + timedelta(days=1)
    requested = absence(A, first, last, "requested", 1, absence_id=leave)
    approved = absence(A, first, last, "approved", 2, absence_id=leave)
    cancelled = absence(A, first, last, "cancelled", 3, absence_id=leave, cancelled_from=DAY)
    # Delivered out of order, and redelivered (each a new message): the cancellation (revision 3) stands.
    await apply(rt, TENANT, cancelled)
    await apply(rt, TENANT, approved)
    await apply(rt, TENANT, requested, approved)
    await apply(rt, TENANT, cancelled)
    assert await count(rt, Absence.__table__) == 1
    await scheduler.scan(at(7, 45, 11, DAY))
    # Excused on the day before the cancellation took effect, expected again from cancelled_from on.
    assert A not in await notified(rt, OVERDUE, "apel", first)
    assert (await ledger(rt, TENANT, "apel", first))[A].status == "excused"
    assert A in await notified(rt, OVERDUE, "apel", DAY)
    assert (await ledger(rt, TENANT, "apel", DAY))[A].status == "missing"


async def test_an_absence_approved_after_the_closure_turns_missing_into_excused(
        reporting: Any, client: httpx.AsyncClient) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    await apply(rt, TENANT, verdict(B, "apel", "on_time", captured=at(7, 5), kind=K.ATTENDANCE),
                verdict(C, "apel", "on_time", captured=at(7, 5), kind=K.ATTENDANCE))
    await scheduler.scan(at(7, 45, 11))
    assert await notified(rt, OVERDUE, "apel") == [A]
    head = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem")).headers(
        tenant=TENANT, roles=["unit_head"], nip=B, unit="bkd", subject="head")
    await scheduler.scan(at(9, 15, 11))
    signed = await client.post("/v1/reports/verifications", headers=head, json={"date": str(DAY)})
    assert signed.status_code in (200, 201), signed.text
    before = (await client.get("/v1/reports/daily", headers=admin(reporting), params={"date": str(DAY)})).json()
    assert before["units"][0]["revised_after_verification"] is False

    leave = uuid.uuid4()
    await apply(rt, TENANT, absence(A, DAY, DAY, "requested", 1, absence_id=leave))
    assert (await ledger(rt, TENANT, "apel"))[A].status == "missing"  # a request excuses nothing
    await apply(rt, TENANT, absence(A, DAY, DAY, "approved", 2, absence_id=leave))
    row = (await ledger(rt, TENANT, "apel"))[A]
    # The notice went out and stays recorded; the row is excused now, and says it changed after closing.
    assert (row.status, row.absence_kind, row.overdue) == ("excused", "sakit", True)
    assert row.revised_at is not None
    after = (await client.get("/v1/reports/daily", headers=admin(reporting), params={"date": str(DAY)})).json()
    assert (after["totals"]["missing"], after["totals"]["excused"]) == (before["totals"]["missing"] - 2, 2)
    assert after["totals"]["expected"] == before["totals"]["expected"] - 2
    assert after["units"][0]["revised_after_verification"] is True
    assert await notified(rt, OVERDUE, "apel") == [A]  # nothing more sent


async def test_an_approved_correction_changes_the_row_and_keeps_the_original(
        reporting: Any, client: httpx.AsyncClient) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    late, missing, outside = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await apply(rt, TENANT,
                verdict(A, "apel", "late", captured=at(7, 50), late_minutes=20, kind=K.ATTENDANCE),
                verdict(B, "apel", "on_time", captured=at(7, 10), geofence="outside", kind=K.ATTENDANCE),
                # approved before the closure: applied when the window closes
                correction(B, "apel", "outside_geofence", "approved", 2, correction_id=outside))
    await scheduler.scan(at(7, 45, 11))
    rows = await ledger(rt, TENANT, "apel")
    assert (rows[B].status, rows[B].outside_geofence, rows[B].original_status, rows[B].original_outside_geofence) \
        == ("on_time", False, "on_time", True)
    assert (rows[A].status, rows[A].original_status) == ("late", None)

    # A requested correction changes nothing; approved, the row changes and the original stays beside it.
    await apply(rt, TENANT, correction(A, "apel", "late", "requested", 1, correction_id=late),
                correction(C, "apel", "late", "approved", 2, correction_id=missing))  # does not match: nothing
    rows = await ledger(rt, TENANT, "apel")
    assert (rows[A].status, rows[C].status, rows[C].original_status) == ("late", "missing", None)
    await apply(rt, TENANT, correction(A, "apel", "late", "approved", 2, correction_id=late))
    await apply(rt, TENANT, correction(A, "apel", "late", "requested", 1, correction_id=late))  # stale: nothing
    row = (await ledger(rt, TENANT, "apel"))[A]
    assert (row.status, row.late_minutes, row.original_status, row.original_late_minutes) == ("on_time", 0, "late", 20)
    assert row.corrected_at == at(12, 2)

    # A late verdict folded into a corrected row keeps the correction.
    await apply(rt, TENANT, verdict(A, "apel", "late", captured=at(7, 55), late_minutes=25, kind=K.ATTENDANCE))
    row = (await ledger(rt, TENANT, "apel"))[A]
    assert (row.status, row.original_status, row.original_late_minutes) == ("on_time", "late", 20)

    # A missing window contested and approved: excused (not expected), the original is missing.
    await apply(rt, TENANT, correction(C, "apel", "missing", "approved", 1, correction_id=uuid.uuid4()))
    row = (await ledger(rt, TENANT, "apel"))[C]
    assert (row.status, row.original_status, row.overdue) == ("excused", "missing", True)

    listed = {r["nip"]: r for r in (await client.get(
        "/v1/reports/daily/rows", headers=admin(reporting), params={"date": str(DAY)})).json()["items"]
        if r["window_id"] == "apel"}
    assert (listed[A]["status"], listed[A]["original_status"], listed[A]["original_late_minutes"]) == \
        ("on_time", "late", 20)
    report = (await client.get("/v1/reports/daily", headers=admin(reporting), params={"date": str(DAY)})).json()
    apel = report["windows"][0]
    assert (apel["expected"], apel["on_time"], apel["excused"], apel["corrected"]) == (2, 2, 1, 3)
    detail = (await client.get("/v1/reports/daily/export", headers=admin(reporting),
                               params={"date": str(DAY), "format": "csv", "sheet": "rincian"})).content
    table = {(r["NIP"], r["Jendela"]): r for r in csv.DictReader(io.StringIO(detail.decode("utf-8-sig")))}
    mine = table[(A, "Apel pagi")]
    assert (mine["Status"], mine["Status Asli (sebelum koreksi)"], mine["Terlambat Asli (menit)"]) == \
        ("Tepat waktu", "Terlambat", "20")


async def test_a_returned_report_makes_the_window_missing_until_it_is_sent_again(reporting: Any) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    sent_by_a = verdict(A, "lokasi", "on_time", captured=at(8, 10))
    sent_by_b = verdict(B, "lokasi", "on_time", captured=at(8, 10))
    await apply(rt, TENANT, sent_by_a, sent_by_b, verdict(C, "lokasi", "on_time", captured=at(8, 10)))
    # Returned before the window closed: B's check-in does not fill it (reminder, then overdue notice).
    await apply(rt, TENANT, review(sent_by_b.checkin_id, B, "returned", 1))
    await scheduler.scan(at(9, 6))
    assert await notified(rt, DUE_SOON, "lokasi") == [B]
    await scheduler.scan(at(9, 15, 11))
    assert await notified(rt, OVERDUE, "lokasi") == [B]
    assert {n: r.status for n, r in (await ledger(rt, TENANT, "lokasi")).items()} == {
        A: "on_time", B: "missing", C: "on_time"}

    # Returned after the closure: A's filled window turns missing; a resubmission fills it again.
    await apply(rt, TENANT, review(sent_by_a.checkin_id, A, "returned", 1))
    assert (await ledger(rt, TENANT, "lokasi"))[A].status == "missing"
    await apply(rt, TENANT, review(sent_by_a.checkin_id, A, "returned", 1))  # redelivered: nothing
    await apply(rt, TENANT, verdict(A, "lokasi", "late", captured=at(10, 0), late_minutes=45))
    row = (await ledger(rt, TENANT, "lokasi"))[A]
    assert (row.status, row.late_minutes) == ("late", 45)
    # B's returned report approved after all (a later revision): its window is filled by it again.
    await apply(rt, TENANT, review(sent_by_b.checkin_id, B, "approved", 2))
    assert (await ledger(rt, TENANT, "lokasi"))[B].status == "on_time"
    await apply(rt, TENANT, review(sent_by_b.checkin_id, B, "returned", 1))  # stale: nothing
    assert (await ledger(rt, TENANT, "lokasi"))[B].status == "on_time"
    assert await notified(rt, OVERDUE, "lokasi") == [B]


async def test_the_closure_waits_for_an_absence_being_approved(reporting: Any) -> None:
    """An approval committed while the window closes is seen by the closure (no notice), not lost.
    On a day near the real clock (the days whose windows may be closing); the tenant's calendar
    and letter make every day a working day."""
    rt = reporting.rt
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    await apply(rt, TENANT, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=TENANT, name="Pemerintah Banten", kind="province", timezone="Asia/Jakarta",
        calendar=TenantCalendar(national=False, cuti_bersama=False))))
    event = absence(A, today, today, "approved", 1, absence_id=uuid.uuid4())
    async with rt.sessions() as session:
        await session.begin()
        await decisions.on_absence(session, envelope_for(event, tenant=TENANT, source="/t"), event)
        closing = asyncio.create_task(reporting.scheduler.scan(at(7, 45, 11, today)))

        async def closure_waits() -> bool:
            assert not closing.done(), "the closure must wait for the absence's transaction"
            async with rt.sessions() as probe:
                return bool(await probe.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())")))

        await eventually(closure_waits, timeout=120)
        await session.commit()
    await closing
    assert await notified(rt, OVERDUE, "apel", today) == [B, C]
    assert (await ledger(rt, TENANT, "apel", today))[A].status == "excused"
