"""The tenant's calendar decides who is expected (national holidays, cuti bersama, the tenant's
own days), and excused windows are not in the discipline score's N — also in a month already
frozen, re-scored when an absence is approved after its end. Real PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.contracts.decisions import AbsenceUpdated
from services.contracts.events import DirectoryUpdatedV2, TenantRecord
from services.contracts.policy import AbsenceKind, PolicyContent, Sector, Window
from services.contracts.rules.calendar import CalendarDay, TenantCalendar
from services.reporting import api
from tests.reporting.conftest import OVERDUE, TZ, K, apply, at, ledger, nip, outbox_events, seed, verdict
from tests.support.tokens import Tokens

A, B = nip(41), nip(42)
STAFF = [(A, "bkd"), (B, "bkd")]
SECTORS = {"bkd": Sector.NON_ESSENTIAL}
NYEPI = date(2026, 3, 19)  # Hari Suci Nyepi: a national holiday in 2026
LAST = date(2026, 3, 31)


async def with_calendar(rt: Any, tenant: str, calendar: TenantCalendar) -> None:
    await apply(rt, tenant, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant, name=f"Pemerintah {tenant}", kind="regency", timezone=TZ, calendar=calendar)))


def sick(who: str, start: date, end: date, revision: int = 1, absence_id: uuid.UUID | None = None) -> AbsenceUpdated:
    return AbsenceUpdated(absence_id=absence_id or uuid.uuid4(), employee_id=who, unit_id="bkd",
                          kind=AbsenceKind.SAKIT, start=start, end=end, status="approved", revision=revision,
                          at=datetime(2026, 3, 1, tzinfo=UTC))


def client_of(rt: Any) -> httpx.AsyncClient:
    app = FastAPI()
    app.state.runtime = rt
    for router in api.ROUTERS:
        app.include_router(router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting")


async def test_holidays_come_from_the_tenants_calendar(reporting: Any) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    early = at(0, 0, 0, date(2026, 3, 1))
    for tenant in ("serang", "lebak", "cilegon"):
        await seed(rt, tenant, employees=STAFF, sectors=SECTORS, effective_at=early)
    # lebak works on Nyepi; cilegon keeps the national calendar and adds its own day on the 17th.
    await with_calendar(rt, "lebak", TenantCalendar(removed=[NYEPI]))
    await with_calendar(rt, "cilegon", TenantCalendar(added=[CalendarDay(date=date(2026, 3, 17),
                                                                         name="Hari Jadi Kota Cilegon")]))
    await scheduler.scan(at(10, 0, 0, NYEPI))  # closes the 16th to the 19th
    for tenant, days in {"serang": {16, 17}, "lebak": {16, 17, 19}, "cilegon": {16}}.items():
        for d in range(16, 20):
            rows = await ledger(rt, tenant, "apel", date(2026, 3, d))
            assert (len(rows) == 2) == (d in days), (tenant, d, rows)
    # March 18th is cuti bersama for all three (none switched it off): no notice for it anywhere.
    assert {p["local_date"] for _, p in await outbox_events(rt, OVERDUE)} == {"2026-03-16", "2026-03-17",
                                                                              "2026-03-19"}
    async with client_of(rt) as client:
        tokens = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem"))
        for tenant, working in (("serang", False), ("lebak", True)):
            report = (await client.get("/v1/reports/daily", headers=tokens.admin(tenant),
                                       params={"date": str(NYEPI)})).json()
            assert report["working_day"] is working
            assert report["totals"]["expected"] == (4 if working else 0)


async def test_sick_days_are_not_in_the_score(reporting: Any) -> None:
    """A on time every day but two days of approved sick leave scores 100 (not 90); B, missing the
    same two days without an absence, scores 90. The tenant works through the national holidays
    (its calendar switches them off), so all 20 days are working days."""
    rt, scheduler = reporting.rt, reporting.scheduler
    content = PolicyContent(windows=[Window(id="apel", name="Apel pagi", start=time(7, 0), end=time(7, 30),
                                            grace_minutes=15, kinds=[K.ATTENDANCE])],
                            working_days=[1, 2, 3, 4, 5, 6, 7])
    await seed(rt, "pandeglang", employees=STAFF, sectors=SECTORS, content=content,
               effective_at=at(0, 0, 0, date(2026, 2, 28)))
    await with_calendar(rt, "pandeglang", TenantCalendar(national=False, cuti_bersama=False))
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(20)]  # through the 18th-20th (holidays)
    off = {date(2026, 3, 5), date(2026, 3, 6)}
    await apply(rt, "pandeglang", sick(A, min(off), max(off)))
    for day in days:
        await apply(rt, "pandeglang", *(verdict(n, "apel", "on_time", captured=at(7, 5, 0, day), kind=K.ATTENDANCE,
                                                day=day) for n in (A, B) if day not in off))
        await scheduler.scan(at(8, 0, 0, day))
    async with client_of(rt) as client:
        admin = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem")).admin("pandeglang")
        body = (await client.get("/v1/reports/monthly", headers=admin, params={"month": "2026-03"})).json()
        rows = {e["nip"]: e for e in body["employees"]}
        assert (rows[A]["expected"], rows[A]["excused"], rows[A]["on_time"], rows[A]["score"]) == (18, 2, 18, 100.0)
        assert (rows[B]["expected"], rows[B]["excused"], rows[B]["missing"], rows[B]["score"]) == (20, 0, 2, 90.0)
        assert body["totals"]["excused"] == 2 and body["totals"]["expected"] == 38
        exported = (await client.get("/v1/reports/monthly/export", headers=admin,
                                     params={"month": "2026-03", "format": "csv"})).content
        table = {r["NIP"]: r for r in csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))}
        assert (table[A]["Dikecualikan (tidak dihitung)"], table[A]["Wajib Lapor"], table[A]["Skor Disiplin"]) == \
            ("2", "18", "100.0")


async def test_a_frozen_month_is_rescored_when_an_absence_is_approved_after_it(reporting: Any) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "serang", employees=STAFF, sectors=SECTORS, effective_at=at(0, 0, 0, LAST - timedelta(days=1)))
    for day in (LAST - timedelta(days=1), LAST):
        for n in (A, B):
            if (n, day) != (A, LAST):
                await apply(rt, "serang",
                            verdict(n, "apel", "on_time", captured=at(7, 5, 0, day), kind=K.ATTENDANCE, day=day),
                            verdict(n, "lokasi", "on_time", captured=at(8, 5, 0, day), day=day))
    await scheduler.scan(at(7, 50, 0, LAST))
    await scheduler.scan(at(9, 15, 11, LAST))  # the last window closes: the month is frozen
    async with client_of(rt) as client:
        admin = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem")).admin("serang")
        frozen = (await client.get("/v1/reports/monthly", headers=admin, params={"month": "2026-03"})).json()
        assert frozen["final"] is True
        assert {e["nip"]: (e["score"], e["revised_at"]) for e in frozen["employees"]} == {A: (50.0, None),
                                                                                          B: (100.0, None)}
        # Sick leave for the 31st, approved on April 2nd: the frozen month re-scores A (its weights kept).
        await apply(rt, "serang", sick(A, LAST, LAST))
        again = (await client.get("/v1/reports/monthly", headers=admin, params={"month": "2026-03"})).json()
    rows = {e["nip"]: e for e in again["employees"]}
    assert again["final"] is True and again["closed_at"] == frozen["closed_at"]
    assert (rows[A]["expected"], rows[A]["excused"], rows[A]["score"]) == (2, 2, 100.0)
    assert rows[A]["revised_at"] is not None and rows[B]["revised_at"] is None
    assert {r.status for r in (await ledger(rt, "serang", "lokasi", LAST)).values()} == {"excused", "on_time"}
