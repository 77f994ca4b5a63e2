"""Actual versus quota, heads' month-end closing, BKD sampling and the BKD's review of sign-offs,
over HTTP on a real PostgreSQL.

The day (Tuesday 10 March 2026, WIB): unit ``bkd`` (non-essential, 25 %) with a roster of
two in the office, unit ``dinkes`` (critical, 100 %); check-ins at office places, at home,
outside the geofence and of an unknown place kind. An approved absence shows in the ledger
as ``excused`` (the status the absences work writes); here it is set on the closed rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from services.contracts.events import CheckinEvaluated
from services.contracts.policy import Sector, local_date
from services.reporting import api, presence, store
from services.reporting.domain import actual_office, sampling
from services.reporting.domain.actual_office import UnitPlan, actual
from services.reporting.domain.daily import InOffice
from tests.reporting.conftest import DAY, TZ, K, apply, at, nip, roster, seed, verdict
from tests.support.tokens import Tokens

TENANT = "serang"
B1, B2, B3, B4, D1, D2 = (nip(40 + i) for i in range(6))
STAFF = [(B1, "bkd"), (B2, "bkd"), (B3, "bkd"), (B4, "bkd"), (D1, "dinkes"), (D2, "dinkes")]
SECTORS = {"bkd": Sector.NON_ESSENTIAL, "dinkes": Sector.CRITICAL}
MARCH = "2026-03"


def at_place(event: CheckinEvaluated, kind: str | None, name: str | None = None) -> CheckinEvaluated:
    return event.model_copy(update={"place_kind": kind, "nearest_place": name, "distance_m": 12.5})


@pytest.fixture
async def world(reporting) -> AsyncIterator[tuple[Any, httpx.AsyncClient, Tokens]]:  # type: ignore[no-untyped-def]
    rt = reporting.rt
    await seed(rt, TENANT, employees=STAFF, sectors=SECTORS)
    await apply(rt, TENANT, roster("bkd", {B1: "wfo", B2: "wfo", B3: "wfh", B4: "wfh"}))
    att = K.ATTENDANCE
    await apply(rt, TENANT,
                at_place(verdict(B1, "apel", "on_time", captured=at(7, 1), kind=att), "office", "Kantor BKD"),
                at_place(verdict(B1, "lokasi", "on_time", captured=at(8, 5)), "office", "Kantor BKD"),
                at_place(verdict(B2, "apel", "on_time", captured=at(7, 2), kind=att), "home", "Rumah"),
                at_place(verdict(B3, "apel", "late", captured=at(7, 40), late_minutes=10, kind=att,
                                 geofence="outside"), "office", "Kantor BKD"),
                verdict(B4, "apel", "on_time", captured=at(7, 3), kind=att),  # no place kind (older policy)
                at_place(verdict(B2, "lokasi", "on_time", captured=at(8, 10)), "home", "Rumah"),
                at_place(verdict(B3, "lokasi", "late", captured=at(9, 5), late_minutes=5), "home", "Rumah"),
                at_place(verdict(B4, "lokasi", "on_time", captured=at(8, 30), geofence="outside"), "home", "Rumah"),
                at_place(verdict(D1, "apel", "on_time", captured=at(7, 4), kind=att), "office", "Dinkes"),
                at_place(verdict(D2, "apel", "on_time", captured=at(7, 5), kind=att), "home", "Rumah"))
    await reporting.scheduler.scan(at(9, 15, 11))
    app = FastAPI()
    app.state.runtime = rt
    for router in api.ROUTERS:
        app.include_router(router)
    tokens = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        yield reporting, client, tokens


def head(tokens: Tokens, unit: str, who: str) -> dict[str, str]:
    return tokens.headers(tenant=TENANT, roles=["unit_head"], nip=who, unit=unit, subject=f"kepala-{unit}")


async def excuse(rt: Any, who: str) -> None:
    """The ledger rows of ``who`` on the day as an approved absence leaves them."""
    x = store.Expectation
    async with rt.sessions() as session, session.begin():
        await session.execute(update(x).where(x.tenant == TENANT, x.day == DAY, x.nip == who).values(status="excused"))


# --- actual versus quota --------------------------------------------------------------------


def test_the_actual_rule() -> None:
    assert actual(4, 0, 25, 1) == (4, 1, 0.25, True)
    assert actual(2, 0, 100, 1) == (2, 2, 0.5, False)
    assert actual(2, 1, 100, 1) == (1, 1, 1.0, True)  # the excused leave the denominator and the requirement
    assert actual(1, 1, 100, 0) == (0, 0, None, None)


async def test_only_qualifying_check_ins_inside_an_office_place_count_once_per_person(world) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = world
    report = (await client.get("/v1/reports/daily", headers=tokens.admin(TENANT), params={"date": str(DAY)})).json()
    quota = {u["unit_id"]: u for u in report["quota"]["units"]}
    bkd, dinkes = quota["bkd"], quota["dinkes"]
    # B1 twice at the office: once; B2 at home, B3 outside the geofence, B4 no place kind: no
    assert (bkd["headcount"], bkd["quota_pct"], bkd["planned_wfo"], bkd["planned_required"]) == (4, 25, 2, 1)
    assert (bkd["actual_in_office"], bkd["actual_required"], bkd["actual_ratio"]) == (1, 1, 0.25)
    assert (bkd["meets_quota_planned"], bkd["meets_quota_actual"]) == (True, True)
    assert (dinkes["planned_wfo"], dinkes["actual_in_office"], dinkes["excused"]) == (2, 1, 0)
    assert (dinkes["meets_quota_planned"], dinkes["meets_quota_actual"], dinkes["actual_ratio"]) == (True, False, 0.5)
    assert (report["quota"]["units_meeting_quota_planned"], report["quota"]["units_meeting_quota_actual"]) == (2, 1)

    own = (await client.get("/v1/reports/daily", headers=head(tokens, "bkd", B1), params={"date": str(DAY)})).json()
    assert [u["unit_id"] for u in own["quota"]["units"]] == ["bkd"]

    sheet = await client.get("/v1/reports/daily/export", headers=tokens.admin(TENANT),
                             params={"date": str(DAY), "format": "csv", "sheet": "kuota"})
    assert sheet.status_code == 200
    rows = {r["Kode Unit"]: r for r in csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig")))}
    assert (rows["dinkes"]["WFO (Rencana)"], rows["dinkes"]["Hadir di Kantor (Aktual)"],
            rows["dinkes"]["Berhalangan (Absen Disetujui)"], rows["dinkes"]["Memenuhi Kuota (Rencana)"],
            rows["dinkes"]["Memenuhi Kuota (Aktual)"]) == ("2", "1", "0", "Ya", "Tidak")
    assert rows[""]["Unit Kerja"] == "JUMLAH" and rows[""]["Memenuhi Kuota (Aktual)"] == "1/2"

    viewer = tokens.headers(tenant=None, roles=["national_viewer"], subject="kemendagri")
    national = (await client.get("/v1/reports/national", headers=viewer, params={"date": str(DAY)})).json()
    [serang] = national["tenants"]
    assert serang["quota"] == {"units": 2, "units_meeting_quota_planned": 2, "units_meeting_quota_actual": 1,
                               "headcount": 6, "planned_wfo": 4, "excused": 0, "actual_in_office": 2}


async def test_the_excused_leave_the_denominator(world) -> None:  # type: ignore[no-untyped-def]
    """From the day's ledger rows marked excused (the daily report and national view count the
    ledger's statuses themselves, which know ``excused`` once the absences work is in)."""
    reporting, _, _ = world
    await excuse(reporting.rt, D2)
    async with reporting.rt.sessions() as session:
        away = await presence.excused(session, TENANT, DAY)
        present = await presence.at_office(session, TENANT, DAY)
        units = await presence.national_units(session, DAY)
    assert (away, present) == ({"dinkes": {D2}}, {"bkd": 1, "dinkes": 1})
    assert sorted(units) == [(TENANT, 2, 100, 2, 1, 1), (TENANT, 4, 25, 2, 1, 0)]
    plan = InOffice(headcount=2, wfo=2, quota_pct=100, required=2).finish()
    day = actual_office.build([UnitPlan("dinkes", "Dinas dinkes", "critical", plan)], present,
                              {u: len(n) for u, n in away.items()})
    [dinkes] = day.units
    assert (dinkes.excused, dinkes.available, dinkes.actual_required, dinkes.actual_ratio,
            dinkes.meets_quota_planned, dinkes.meets_quota_actual) == (1, 1, 1, 1.0, True, True)
    assert (day.actual_ratio, day.units_meeting_quota_actual) == (1.0, 1)


# --- month-end closing ----------------------------------------------------------------------


async def test_a_head_closes_the_unit_month_once_with_comments(world) -> None:  # type: ignore[no-untyped-def]
    reporting, client, tokens = world
    await excuse(reporting.rt, D2)
    kabid = head(tokens, "bkd", B1)
    summary = await client.get(f"/v1/reports/monthly/{MARCH}/units/bkd/summary", headers=kabid)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert (body["unit_name"], body["closing"]["closed"]) == ("Dinas bkd", False)
    monthly = (await client.get("/v1/reports/monthly", headers=kabid, params={"month": MARCH})).json()
    assert {e["nip"]: (e["score"], e["predicate"]) for e in body["employees"]} == {
        e["nip"]: (e["score"], e["predicate"]) for e in monthly["employees"]}, "the month-end evaluation's scores"
    assert body["totals"]["average_score"] == monthly["units"][0]["average_score"]
    b3 = next(e for e in body["employees"] if e["nip"] == B3)
    assert (b3["expected"], b3["late"], b3["excused"]) == (2, 2, 0)
    dinkes = (await client.get(f"/v1/reports/monthly/{MARCH}/units/dinkes/summary",
                               headers=tokens.admin(TENANT))).json()
    assert {e["nip"]: e["excused"] for e in dinkes["employees"]} == {D1: 0, D2: 1}
    assert dinkes["totals"]["excused"] == 1

    url = f"/v1/reports/monthly/{MARCH}/units/bkd/close"
    assert (await client.post(url, headers=head(tokens, "dinkes", D1), json={})).status_code == 403
    assert (await client.post(url, headers=tokens.employee(TENANT, B2, "bkd"), json={})).status_code == 403
    too_long = await client.post(url, headers=kabid, json={"comment": "x" * 1001})
    assert too_long.status_code == 422
    stranger = await client.post(url, headers=kabid, json={"employees": [{"nip": D1, "comment": "Bukan unit ini"}]})
    assert stranger.status_code == 422 and stranger.json()["detail"][0]["loc"] == ["body", "employees", 0, "nip"]
    now_month = local_date(datetime.now(UTC), TZ).strftime("%Y-%m")
    early = await client.post(f"/v1/reports/monthly/{now_month}/units/bkd/close", headers=kabid, json={})
    assert early.status_code == 409 and early.json()["detail"][0]["type"] == "month_not_over"

    closed = await client.post(url, headers=kabid, json={"comment": "Disiplin cukup", "employees": [
        {"nip": B3, "comment": "Sering terlambat apel"}]})
    assert closed.status_code == 201, closed.text
    closing = closed.json()["closing"]
    assert (closing["closed"], closing["closed_by"], closing["comment"], closing["employees_commented"]) == (
        True, "kepala-bkd", "Disiplin cukup", 1)
    assert next(e for e in closed.json()["employees"] if e["nip"] == B3)["comment"] == "Sering terlambat apel"
    again = await client.post(url, headers=tokens.admin(TENANT), json={})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "month_closed"

    overview = await client.get(f"/v1/reports/monthly/{MARCH}/closings", headers=tokens.admin(TENANT))
    assert overview.status_code == 200
    assert (overview.json()["total"], overview.json()["closed"]) == (2, 1)
    assert {u["unit_id"]: (u["closed"], u["closed_by"]) for u in overview.json()["units"]} == {
        "bkd": (True, "kepala-bkd"), "dinkes": (False, None)}
    assert (await client.get(f"/v1/reports/monthly/{MARCH}/closings", headers=kabid)).status_code == 403
    audit = (await client.get("/v1/reports/audit", headers=tokens.admin(TENANT))).json()["items"]
    assert [(a["action"], a["target"], a["details"]["employees"]) for a in audit] == [
        ("tutup_evaluasi_bulanan_unit", f"unit:bkd/{MARCH}", [B3])]
    by_admin = await client.post(f"/v1/reports/monthly/{MARCH}/units/dinkes/close", headers=tokens.admin(TENANT),
                                 json={"comment": "Ditutup BKD"})
    assert by_admin.status_code == 201


# --- BKD sampling ---------------------------------------------------------------------------


def test_the_draw_is_reproducible_and_takes_everyone_when_few() -> None:
    ids = [f"{i:08d}-0000-0000-0000-000000000000" for i in range(30)]
    one = sampling.draw(ids, tenant="t", day=DAY, unit_id="u", seed="7", size=5)
    assert one == sampling.draw(reversed(ids), tenant="t", day=DAY, unit_id="u", seed="7", size=5)
    assert len(one) == 5 and set(one) <= set(ids)
    seeds = {tuple(sampling.draw(ids, tenant="t", day=DAY, unit_id="u", seed=str(s), size=5)) for s in range(20)}
    assert len(seeds) > 1, "the seed chooses the sample"
    assert sampling.draw(ids[:3], tenant="t", day=DAY, unit_id="u", seed="7", size=5) == sorted(ids[:3])


async def test_the_bkd_draws_the_same_sample_for_a_day_and_seed_and_marks_it(world) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = world
    admin = tokens.admin(TENANT)
    assert (await client.get("/v1/reports/sampling", headers=admin)).json()["sample_size"] == 5
    for wrong in (0, 101):
        assert (await client.put("/v1/reports/sampling", headers=admin, json={"sample_size": wrong})).status_code == 422
    put = await client.put("/v1/reports/sampling", headers=admin, json={"sample_size": 2})
    assert put.status_code == 200 and put.json()["source"] == "tenant"
    assert (await client.get("/v1/reports/sampling", headers=head(tokens, "bkd", B1))).status_code == 403

    url = f"/v1/reports/daily/{DAY}/sample"
    first = await client.get(url, headers=admin, params={"seed": "audit-maret", "unit_id": "bkd"})
    assert first.status_code == 200, first.text
    [unit] = first.json()["units"]
    assert (unit["unit_id"], unit["candidates"], len(unit["items"])) == ("bkd", 4, 2)
    ids = [i["checkin_id"] for i in unit["items"]]
    for _ in range(3):
        again = await client.get(url, headers=admin, params={"seed": "audit-maret", "unit_id": "bkd"})
        assert [i["checkin_id"] for i in again.json()["units"][0]["items"]] == ids
    everything = (await client.get(url, headers=admin, params={"seed": "audit-maret"})).json()
    assert [u["unit_id"] for u in everything["units"]] == ["bkd"], "dinkes sent no location check-in"
    assert [i["checkin_id"] for i in everything["units"][0]["items"]] == ids, "the same draw per unit"
    assert "latitude" not in first.text and "longitude" not in first.text
    item = unit["items"][0]
    assert set(item) >= {"place_name", "distance_m", "status", "geofence"} and item["mark"] is None
    assert (await client.get(url, headers=head(tokens, "bkd", B1))).status_code == 403
    assert (await client.get(url, headers=admin, params={"unit_id": "tidak-ada"})).status_code == 404

    mark = f"/v1/reports/samples/{ids[0]}/mark"
    done = await client.post(mark, headers=admin, json={"result": "verified", "note": "Sesuai foto"})
    assert done.status_code == 201, done.text
    assert (await client.post(mark, headers=admin, json={"result": "verified"})).status_code == 200
    clash = await client.post(mark, headers=admin, json={"result": "rejected"})
    assert clash.status_code == 409 and clash.json()["detail"][0]["type"] == "sample_marked"
    changed = await client.post(mark, headers=admin, json={"result": "rejected", "note": "Bukan kantor",
                                                           "replace": True})
    assert changed.status_code == 201 and changed.json()["result"] == "rejected"
    shown = (await client.get(url, headers=admin, params={"seed": "audit-maret", "unit_id": "bkd"})).json()
    marks = {i["checkin_id"]: i["mark"] for i in shown["units"][0]["items"]}
    assert (marks[ids[0]]["result"], marks[ids[0]]["note"], marks[ids[1]]) == ("rejected", "Bukan kantor", None)
    assert (await client.post(mark, headers=head(tokens, "bkd", B1), json={"result": "verified"})).status_code == 403
    unknown = "/v1/reports/samples/00000000-0000-4000-8000-000000000000/mark"
    assert (await client.post(unknown, headers=admin, json={"result": "verified"})).status_code == 404
    assert (await client.post("/v1/reports/samples/not-a-uuid/mark", headers=admin,
                              json={"result": "verified"})).status_code == 422
    audit = [a["action"] for a in (await client.get("/v1/reports/audit", headers=admin)).json()["items"]]
    assert audit == ["ubah_tanda_sampel", "tandai_sampel", "ubah_ukuran_sampel"]


async def test_only_location_check_ins_are_marked(world) -> None:  # type: ignore[no-untyped-def]
    reporting, client, tokens = world
    async with reporting.rt.sessions() as session:
        attendance = (await session.execute(
            store.Evaluation.__table__.select().where(store.Evaluation.nip == B1,
                                                      store.Evaluation.kind == "attendance"))).first()
    r = await client.post(f"/v1/reports/samples/{attendance.checkin_id}/mark", headers=tokens.admin(TENANT),
                          json={"result": "verified"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "value_error"
    other = await client.post(f"/v1/reports/samples/{attendance.checkin_id}/mark", headers=tokens.admin("lebak"),
                              json={"result": "verified"})
    assert other.status_code == 404, "another tenant's check-in is not found"


# --- the BKD's review of sign-offs ------------------------------------------------------------


async def test_the_bkd_accepts_or_returns_a_sign_off_and_a_returned_day_is_signed_again(world) -> None:  # type: ignore[no-untyped-def]
    _, client, tokens = world
    admin = tokens.admin(TENANT)
    kabid, kadinkes = head(tokens, "bkd", B1), head(tokens, "dinkes", D1)
    review = f"/v1/reports/daily/{DAY}/units/{{}}/review"
    early = await client.post(review.format("bkd"), headers=admin, json={"decision": "accept"})
    assert early.status_code == 409 and early.json()["detail"][0]["type"] == "not_signed_off"
    for who in (kabid, kadinkes):
        signed = await client.post("/v1/reports/verifications", headers=who, json={"date": str(DAY)})
        assert signed.status_code == 201 and signed.json()["state"] == "signed_off", signed.text
    assert (await client.post(review.format("bkd"), headers=kabid, json={"decision": "accept"})).status_code == 403
    assert (await client.post(review.format("nowhere"), headers=admin, json={"decision": "accept"})).status_code == 404

    accepted = await client.post(review.format("bkd"), headers=admin, json={"decision": "accept"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted", accepted.text
    assert (await client.post(review.format("bkd"), headers=admin, json={"decision": "accept"})).json()["state"] == (
        "accepted")
    late_return = await client.post(review.format("bkd"), headers=admin, json={"decision": "return", "note": "x"})
    assert late_return.status_code == 409 and late_return.json()["detail"][0]["type"] == "sign_off_reviewed"
    unchanged = await client.post("/v1/reports/verifications", headers=kabid, json={"date": str(DAY)})
    assert unchanged.status_code == 200 and unchanged.json()["state"] == "accepted"

    no_note = await client.post(review.format("dinkes"), headers=admin, json={"decision": "return", "note": "  "})
    assert no_note.status_code == 422 and no_note.json()["detail"][0]["loc"] == ["body", "note"]
    returned = await client.post(review.format("dinkes"), headers=admin,
                                 json={"decision": "return", "note": "Cek ulang D2"})
    assert (returned.json()["state"], returned.json()["verified"], returned.json()["review_note"]) == (
        "returned", False, "Cek ulang D2")
    listing = (await client.get("/v1/reports/verifications", headers=admin, params={"date": str(DAY)})).json()
    assert (listing["verified"], {u["unit_id"]: u["state"] for u in listing["units"]}) == (
        1, {"bkd": "accepted", "dinkes": "returned"})
    report = (await client.get("/v1/reports/daily", headers=admin, params={"date": str(DAY)})).json()
    units = {u["unit_id"]: u for u in report["units"]}
    assert (units["dinkes"]["verified"], units["dinkes"]["review"], units["dinkes"]["review_note"]) == (
        False, "returned", "Cek ulang D2")
    assert (units["bkd"]["review"], report["units_verified"]) == ("accepted", 1)
    viewer = tokens.headers(tenant=None, roles=["national_viewer"], subject="kemendagri")
    national = (await client.get("/v1/reports/national", headers=viewer, params={"date": str(DAY)})).json()
    assert national["tenants"][0]["units_verified"] == 1

    resigned = await client.post("/v1/reports/verifications", headers=kadinkes, json={"date": str(DAY),
                                                                                     "note": "Sudah dicek"})
    assert resigned.status_code == 201 and (resigned.json()["state"], resigned.json()["note"]) == (
        "signed_off", "Sudah dicek")
    accepted = await client.post(review.format("dinkes"), headers=admin, json={"decision": "accept"})
    assert accepted.json()["state"] == "accepted"
    audit, params, sizes = [], {"limit": 4}, []  # read a page at a time: the cursor walks the trail once
    while params:
        page = (await client.get("/v1/reports/audit", headers=admin, params=params)).json()
        audit += [(a["action"], a["target"]) for a in page["items"]]
        sizes.append(len(page["items"]))
        params = {"limit": 4, "after": page["next_after"]} if page["next_after"] else {}
    assert sizes == [4, 2]
    for bad in ("2026-03-10T00:00:00+00:00~x", f"2026-03-10T00:00:00+00:00~{2**64}"):  # no id; none a column holds
        not_a_cursor = await client.get("/v1/reports/audit", headers=admin, params={"after": bad})
        assert not_a_cursor.status_code == 422 and not_a_cursor.json()["detail"][0]["loc"] == ["query", "after"]
    assert audit == [("terima_verifikasi", f"unit:dinkes/{DAY}"),
                     ("verifikasi_ulang_laporan_harian", f"unit:dinkes/{DAY}"),
                     ("kembalikan_verifikasi", f"unit:dinkes/{DAY}"), ("terima_verifikasi", f"unit:bkd/{DAY}"),
                     ("verifikasi_laporan_harian", f"unit:dinkes/{DAY}"),
                     ("verifikasi_laporan_harian", f"unit:bkd/{DAY}")]
    before = DAY - timedelta(days=1)
    assert (await client.post(f"/v1/reports/daily/{before}/units/bkd/review", headers=admin,
                              json={"decision": "accept"})).status_code == 409
