"""The reports over HTTP on a real PostgreSQL: daily per unit and tenant with the
in-office share against quotas, scoping, the verification chain, the national view,
CSV/XLSX exports, the monthly evaluation with discipline scores, and the gauges."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from services.contracts.policy import Sector
from services.reporting import api
from services.reporting.api.deps import XLSX
from services.reporting.domain import scoring
from services.runtime.metrics import TenantRefs
from tests.reporting.conftest import DAY, METRICS_KEY, TZ, K, apply, at, nip, roster, seed, verdict
from tests.support.tokens import Tokens
from tools.cli import app as cli

D1, D2, B1, B2, B3, B4, P1, P2 = (nip(i) for i in range(8))
STAFF = [(D1, "dinkes"), (D2, "dinkes"), (B1, "bkd"), (B2, "bkd"), (B3, "bkd"), (B4, "bkd"), (P1, "bpkad"),
         (P2, "bpkad")]
SECTORS = {"dinkes": Sector.CRITICAL, "bkd": Sector.NON_ESSENTIAL, "bpkad": Sector.ESSENTIAL}
TENANT = "banten"


@pytest.fixture
async def day(reporting) -> AsyncIterator[tuple[object, httpx.AsyncClient, Tokens]]:  # type: ignore[no-untyped-def]
    """A closed day: two windows, three units of the three sectors, a roster, verdicts."""
    rt = reporting.rt
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS, flags={P2: {"is_teacher": True}})
    await apply(rt, TENANT, roster("bkd", {B1: "wfo", B2: "wfh", B3: "wfh", B4: "wfh"}))
    att = K.ATTENDANCE
    await apply(rt, TENANT,
                verdict(D1, "apel", "on_time", captured=at(7, 1), kind=att),
                verdict(D2, "apel", "late", captured=at(7, 35), late_minutes=5, geofence="outside", kind=att),
                verdict(B1, "apel", "on_time", captured=at(7, 2), kind=att),
                verdict(B2, "apel", "on_time", captured=at(7, 3), suspicious=True, kind=att),
                verdict(B4, "apel", "late", captured=at(7, 50), late_minutes=20, kind=att),
                verdict(P1, "apel", "on_time", captured=at(7, 4), kind=att),
                verdict(B2, "lokasi", "on_time", captured=at(8, 10), geofence="outside"),
                verdict(B3, "lokasi", "on_time", captured=at(8, 20)),
                verdict(P1, "lokasi", "late", captured=at(9, 3), late_minutes=3),
                verdict(B3, None, "outside_window", captured=at(6, 0), kind=att))
    assert await reporting.scheduler.scan(at(9, 15, 11)) == 2 + 1  # apel: B3, P2; lokasi: B4
    app = FastAPI()
    app.state.runtime = rt
    for router in api.ROUTERS:
        app.include_router(router)
    tokens = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        yield reporting, client, tokens


def counts(item: dict) -> tuple[int, ...]:
    return tuple(item[k] for k in ("expected", "on_time", "late", "missing", "pending", "outside_geofence",
                                   "suspicious"))


async def test_daily_report_per_window_unit_sector_and_tenant(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    r = await client.get("/v1/reports/daily", headers=tokens.admin(TENANT), params={"date": str(DAY)})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["zone"], report["policy_number"], report["working_day"]) == ("WIB", "800/258-BKD/2026", True)
    apel, lokasi = report["windows"]
    # apel asks everyone; lokasi only those not in the office (critical unit, B1 rostered WFO, P2 a teacher)
    assert counts(apel) == (8, 4, 2, 2, 0, 1, 1)
    assert counts(lokasi) == (4, 2, 1, 1, 0, 1, 0)
    assert apel["finalized"] and apel["closed"] and apel["deadline_local"] == "2026-03-10 07:45:00 WIB"
    assert counts(report["totals"]) == (12, 6, 3, 3, 0, 2, 1)
    units = {u["unit_id"]: u for u in report["units"]}
    assert counts(units["bkd"]["totals"]) == (7, 4, 1, 2, 0, 1, 1)
    office = {u: (units[u]["in_office"]["headcount"], units[u]["in_office"]["wfo"], units[u]["in_office"]["quota_pct"],
                  units[u]["in_office"]["required"], units[u]["in_office"]["meets_quota"]) for u in units}
    assert office == {"dinkes": (2, 2, 100, 2, True), "bkd": (4, 1, 25, 1, True), "bpkad": (2, 1, 50, 1, True)}
    assert units["bkd"]["in_office"]["ratio"] == 0.25
    sectors = {s["sector"]: s for s in report["sectors"]}
    assert (sectors["critical"]["ratio"], sectors["critical"]["quota_pct"]) == (1.0, 100)
    assert report["in_office"]["headcount"] == 8 and report["in_office"]["wfo"] == 4
    assert (report["units_total"], report["units_verified"]) == (3, 0)


async def test_a_unit_head_sees_only_their_unit(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    head = tokens.headers(tenant=TENANT, roles=["unit_head"], nip=B1, unit="bkd", subject="kabid-bkd")
    r = await client.get("/v1/reports/daily", headers=head, params={"date": str(DAY)})
    assert r.status_code == 200
    assert [u["unit_id"] for u in r.json()["units"]] == ["bkd"]
    assert counts(r.json()["windows"][0]) == (4, 2, 1, 1, 0, 0, 1)
    assert (await client.get("/v1/reports/daily", headers=head, params={"unit_id": "dinkes"})).status_code == 403
    employee = tokens.employee(TENANT, B2, "bkd")
    assert (await client.get("/v1/reports/daily", headers=employee)).status_code == 403
    assert (await client.get("/v1/reports/daily")).status_code == 401


async def test_overdue_list_and_a_late_arrival(day) -> None:  # type: ignore[no-untyped-def]
    reporting, client, tokens = day
    await apply(reporting.rt, TENANT, verdict(P2, "apel", "late", captured=at(8, 0), late_minutes=30,
                                              kind=K.ATTENDANCE))
    rows = (await client.get("/v1/reports/overdue", headers=tokens.admin(TENANT),
                             params={"date": str(DAY)})).json()["items"]
    assert [(o["window_id"], o["nip"], o["status"]) for o in rows] == [
        ("apel", B3, "missing"), ("apel", P2, "late"), ("lokasi", B4, "missing")]
    apel = (await client.get("/v1/reports/daily", headers=tokens.admin(TENANT),
                             params={"date": str(DAY)})).json()["windows"][0]
    assert (apel["late"], apel["missing"]) == (3, 1)

    pages, params = [], {"date": str(DAY), "limit": 2}  # a page at a time, by window and NIP, each row once
    while params:
        page = (await client.get("/v1/reports/overdue", headers=tokens.admin(TENANT), params=params)).json()
        pages.append([(o["window_id"], o["nip"]) for o in page["items"]])
        params = {"date": str(DAY), "limit": 2, "after": page["next_after"]} if page["next_after"] else {}
    assert pages == [[("apel", B3), ("apel", P2)], [("lokasi", B4)]]
    for bad in ("!", "bm90IGpzb24", "eyJhIjogMX0"):  # not base64, not JSON, not a key (a JSON object)
        refused = await client.get("/v1/reports/overdue", headers=tokens.admin(TENANT), params={"after": bad})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "after"], refused.text


async def test_a_day_left_out_is_today_on_the_tenants_clock(day) -> None:  # type: ignore[no-untyped-def]
    """`date` is optional wherever a report is about one day: today in the tenant's zone (national: in WIB)."""
    _, client, tokens = day
    admin = tokens.headers(tenant=TENANT, roles=["tenant_admin"])
    viewer = tokens.headers(tenant=None, roles=["national_viewer"], subject="kemendagri")
    for url, headers, zone in (("/v1/reports/verifications", admin, TZ), ("/v1/reports/daily", admin, TZ),
                               ("/v1/reports/national", viewer, "Asia/Jakarta")):
        before = datetime.now(ZoneInfo(zone)).date()
        r = await client.get(url, headers=headers)
        after = datetime.now(ZoneInfo(zone)).date()
        assert r.status_code == 200, (url, r.text)
        assert r.json()["date"] in {str(before), str(after)}, url  # (either, should midnight pass meanwhile)
    overdue = await client.get("/v1/reports/overdue", headers=admin)
    assert overdue.status_code == 200 and overdue.json()["items"] == [], "nothing is overdue today: DAY is past"
    explicit = await client.get("/v1/reports/overdue", headers=admin, params={"date": str(DAY)})
    assert len(explicit.json()["items"]) == 3


async def test_verification_chain_is_audited_and_visible_to_the_agency(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    head = tokens.headers(tenant=TENANT, roles=["unit_head"], nip=B1, unit="bkd", subject="kabid-bkd")
    r = await client.post("/v1/reports/verifications", headers=head, json={"date": str(DAY), "note": "Sesuai"})
    assert r.status_code == 201, r.text
    assert r.json()["verified_by"] == "kabid-bkd"
    again = await client.post("/v1/reports/verifications", headers=head, json={"date": str(DAY)})
    assert again.status_code == 200 and again.json()["note"] == "Sesuai"
    other = await client.post("/v1/reports/verifications", headers=head, json={"date": str(DAY), "unit_id": "dinkes"})
    assert other.status_code == 403
    admin_cannot = await client.post("/v1/reports/verifications", headers=tokens.admin(TENANT),
                                     json={"date": str(DAY), "unit_id": "bkd"})
    assert admin_cannot.status_code == 403
    from datetime import timedelta
    early = await client.post("/v1/reports/verifications", headers=head, json={"date": str(DAY + timedelta(days=1))})
    assert early.status_code == 409

    overview = (await client.get("/v1/reports/verifications", headers=tokens.admin(TENANT),
                                 params={"date": str(DAY)})).json()
    assert (overview["total"], overview["verified"]) == (3, 1)
    assert {u["unit_id"]: u["verified"] for u in overview["units"]} == {"bkd": True, "bpkad": False, "dinkes": False}
    report = (await client.get("/v1/reports/daily", headers=tokens.admin(TENANT), params={"date": str(DAY)})).json()
    assert report["units_verified"] == 1
    audit = (await client.get("/v1/reports/audit", headers=tokens.admin(TENANT))).json()["items"]
    assert [(a["action"], a["actor"], a["target"]) for a in audit] == [
        ("verifikasi_laporan_harian", "kabid-bkd", f"unit:bkd/{DAY}")]


async def test_national_view_has_aggregates_and_no_personal_data(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    viewer = tokens.headers(tenant=None, roles=["national_viewer"], subject="kemendagri")
    r = await client.get("/v1/reports/national", headers=viewer, params={"date": str(DAY)})
    assert r.status_code == 200, r.text
    body = r.json()
    [banten] = body["tenants"]
    assert (banten["tenant"], banten["zone"], banten["windows_closed"]) == (TENANT, "WIB", 2)
    assert counts(banten["totals"]) == (12, 6, 3, 3, 0, 2, 1)
    assert banten["compliance_pct"] == 75.0
    sectors = {s["sector"]: s for s in body["sectors"]}
    assert (sectors["critical"]["headcount"], sectors["critical"]["wfo"], sectors["critical"]["ratio"]) == (2, 2, 1.0)
    assert counts(sectors["non_essential"]["totals"]) == (7, 4, 1, 2, 0, 1, 1)
    for person in (D1, D2, B1, B2, B3, B4, P1, P2):
        assert person not in r.text
    assert "nip" not in r.text and "unit_id" not in r.text
    assert (await client.get("/v1/reports/national", headers=tokens.admin(TENANT),
                             params={"date": str(DAY)})).status_code == 403


async def test_exports_in_bahasa_indonesia_with_local_times(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    admin = tokens.admin(TENANT)
    r = await client.get("/v1/reports/daily/export", headers=admin,
                         params={"date": str(DAY), "format": "csv", "sheet": "rincian"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="laporan-harian-banten-2026-03-10-rincian.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 12
    b3 = next(row for row in rows if row["NIP"] == B3 and row["Jendela"] == "Apel pagi")
    assert (b3["Status"], b3["Batas Waktu (WIB)"], b3["Pemberitahuan Terlambat Dikirim"]) == (
        "Tidak lapor", "2026-03-10 07:45:00 WIB", "Ya")
    b4 = next(row for row in rows if row["NIP"] == B4 and row["Jendela"] == "Apel pagi")
    assert (b4["Status"], b4["Terlambat (menit)"], b4["Waktu Lapor (WIB)"]) == ("Terlambat", "20",
                                                                                 "2026-03-10 07:50:00 WIB")
    summary = await client.get("/v1/reports/daily/export", headers=admin, params={"date": str(DAY), "format": "csv"})
    header = summary.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Tanggal,Kode Unit,Unit Kerja,Sektor,Wajib Lapor,Tepat Waktu,Terlambat,Tidak Lapor")

    x = await client.get("/v1/reports/daily/export", headers=admin, params={"date": str(DAY)})
    assert x.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    assert book.sheetnames == ["Ringkasan", "Per Jendela", "Rincian", "Kuota Aktual"]
    detail = list(book["Rincian"].iter_rows(values_only=True))
    assert detail[0][:3] == ("Tanggal", "NIP", "Nama")
    assert {row[1] for row in detail[1:]} >= {B3, B4} and all(isinstance(row[1], str) for row in detail[1:])
    ringkasan = list(book["Ringkasan"].iter_rows(values_only=True))
    assert ringkasan[-1][2] == "JUMLAH" and ringkasan[-1][4:7] == (12, 6, 3)

    m = await client.get("/v1/reports/monthly/export", headers=admin, params={"month": "2026-03", "format": "csv"})
    monthly_rows = list(csv.DictReader(io.StringIO(m.content.decode("utf-8-sig"))))
    assert {row["Bulan"] for row in monthly_rows} == {"Maret 2026"}
    assert "Skor Disiplin" in monthly_rows[0] and "Predikat" in monthly_rows[0]


async def test_monthly_scores_follow_the_documented_formula(day) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = day
    r = await client.get("/v1/reports/monthly", headers=tokens.admin(TENANT), params={"month": "2026-03"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["final"] is False
    people = {e["nip"]: e for e in body["employees"]}
    w = scoring.Weights()
    # B4: apel 20 min late, lokasi missing
    assert people[B4]["score"] == round(100 * (0.75 - 0.5 * 20 / 120) / 2, 1) == 33.3
    # D2: apel 5 min late and outside the geofence; only apel is asked of the critical unit
    assert people[D2]["score"] == round(100 * scoring.credit("late", 5, True, False, w), 1) == 22.9
    # B2: on time but suspicious (apel), on time but outside (lokasi)
    assert people[B2]["score"] == 50.0 and people[B2]["predicate"] == "Kurang"
    assert people[D1]["score"] == 100.0 and people[D1]["predicate"] == "Sangat Baik"
    assert people[B3]["score"] == 50.0
    assert body["totals"]["expected"] == 12


async def test_gauges_per_tenant_and_sector_never_per_employee_nor_by_tenant_name(day) -> None:  # type: ignore[no-untyped-def]
    """/metrics answers without credentials: per-tenant series carry the tenant's keyed, opaque
    reference (what ``hadir tenant-ref`` prints with the same key), never its name."""
    reporting, _, _ = day
    registry = reporting.rt.registry
    async with reporting.rt.sessions() as session:
        await reporting.metrics.refresh(session, at(9, 16))
    ref = TenantRefs(METRICS_KEY.encode())(TENANT)
    assert ref.startswith("t-") and TENANT not in ref
    value = registry.get_sample_value
    assert value("hadir_reporting_expected_checkins", {"tenant_ref": ref, "sector": "non_essential"}) == 7
    assert value("hadir_reporting_checkins", {"tenant_ref": ref, "sector": "non_essential", "status": "missing"}) == 2
    assert value("hadir_reporting_in_office_ratio", {"tenant_ref": ref, "sector": "critical"}) == 1.0
    assert value("hadir_reporting_units_below_quota", {"tenant_ref": ref, "sector": "essential"}) == 0
    assert value("hadir_overdue_emitted_total", {"tenant_ref": ref}) == 3
    labels = {v for metric in registry.collect() if metric.name.startswith("hadir_")
              for sample in metric.samples for v in sample.labels.values()}
    assert not labels & {D1, D2, B1, B2, B3, B4, P1, P2, "bkd", "dinkes", "bpkad", TENANT}

    app = reporting.rt.app(title="reporting", description="metrics")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        scraped = await client.get("/metrics")  # no credentials, as Prometheus scrapes
    assert scraped.status_code == 200
    assert f'tenant_ref="{ref}"' in scraped.text and TENANT not in scraped.text

    printed = CliRunner().invoke(cli, ["tenant-ref", TENANT], env={"HADIR_METRICS_TENANT_KEY": METRICS_KEY})
    assert printed.exit_code == 0 and printed.stdout.strip() == ref, printed.output
