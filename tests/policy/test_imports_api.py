"""CSV imports through the HTTP API on real PostgreSQL: bad rows reported with
their row numbers, all-or-nothing unless asked, idempotent re-import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.policy.conftest import PolicyService, nip_for, setup_tenant

pytestmark = pytest.mark.infra

CSV = {"content-type": "text/csv"}

UNITS = """kode,nama,jenis,induk,sektor,aktif
DINKES,Dinas Kesehatan,dinas,,kritis,ya
uptd-labkes,UPTD Laboratorium Kesehatan,UPTD,dinkes,,ya
bkd,Badan Kepegawaian Daerah,badan,,,ya
"""

GOOD = [nip_for(i) for i in range(4)]
EMPLOYEES = f"""nip,nama,jabatan,unit,guru,pelayanan,kepala,aktif,email,telepon,rumah_lat,rumah_lon,golongan
{GOOD[0]},Siti Aminah,Analis,bkd,tidak,tidak,ya,ya,siti@bantenprov.go.id,0812-3456-789,-6.12,106.15,III/a
'{GOOD[1][:8]} {GOOD[1][8:14]} {GOOD[1][14]} {GOOD[1][15:]},Budi,Dokter,dinkes,tidak,ya,tidak,ya,,,,,III/b
19850230201001100X,Salah Tanggal,Staf,bkd,tidak,tidak,tidak,ya,,,,,II/a
{GOOD[2]},Ani,Staf,nowhere,tidak,tidak,tidak,ya,,,,,II/a

{GOOD[3]},Dedi,Staf,uptd-labkes,mungkin,tidak,tidak,ya,dedi@,,-95,106,II/c
{GOOD[0]},Siti Lagi,Analis,bkd,tidak,tidak,tidak,ya,,,,,III/a
198503122010013003,Jenis Kelamin,Staf,bkd,tidak,tidak,tidak,ya,,,,,II/a
"""


async def post(svc: PolicyService, path: str, admin: dict[str, str], body: str, **params: str):  # type: ignore[no-untyped-def]
    return await svc.client.post(path, headers={**admin, **CSV}, content=body.encode(), params=params)


async def test_bad_rows_are_reported_and_nothing_is_applied_unless_asked(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    r = await post(policy, "/v1/imports/units", admin, UNITS)
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["published"]) == (3, 3)
    events_before = await policy.outbox_count(tenant)

    r = await post(policy, "/v1/imports/employees", admin, EMPLOYEES)
    assert r.status_code == 422, r.text
    report = r.json()
    assert report["applied"] is False
    assert report["ignored_columns"] == ["golongan"]
    by_row = {}
    for e in report["errors"]:
        by_row.setdefault(e["row"], []).append(e)
        assert " / " in e["message"], e
    assert sorted(by_row) == [4, 5, 7, 8, 9]  # row 6 is empty; rows 2-3 are fine
    assert [(e["column"], e["part"]) for e in by_row[4]] == [("nip", "digits")]
    assert by_row[5][0]["column"] == "unit" and "nowhere" in by_row[5][0]["message"]
    assert {e["column"] for e in by_row[7]} == {"guru", "email", "rumah_lat"}
    assert "baris 2" in by_row[8][0]["message"] and "row 2" in by_row[8][0]["message"]
    assert (by_row[9][0]["column"], by_row[9][0]["part"]) == ("nip", "gender")
    assert (report["rows"], report["valid"], report["invalid"]) == (7, 2, 5)
    assert await policy.outbox_count(tenant) == events_before
    listed = (await policy.client.get("/v1/employees", headers=admin)).json()["items"]
    assert listed == []

    r = await post(policy, "/v1/imports/employees", admin, EMPLOYEES, apply_valid="true")
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["applied"], report["created"], report["published"]) == (True, 2, 2)
    assert len(report["errors"]) == 7
    listed = (await policy.client.get("/v1/employees", headers=admin)).json()["items"]
    assert sorted(e["nip"] for e in listed) == sorted(GOOD[:2])
    siti = next(e for e in listed if e["nip"] == GOOD[0])
    assert (siti["is_unit_head"], siti["phone"], siti["unit_id"]) == (True, "08123456789", "bkd")
    assert siti["places"] == [{"name": "Rumah", "kind": "home", "radius_m": None, "valid_from": None,
                               "valid_until": None}]
    exact = await policy.client.get(f"/v1/employees/{GOOD[0]}/places", headers=admin,
                                    params={"purpose": "Pemeriksaan hasil impor"})
    assert exact.json()["places"] == [{"name": "Rumah", "kind": "home", "latitude": -6.12, "longitude": 106.15,
                                       "radius_m": None, "valid_from": None, "valid_until": None}]


async def test_reimporting_the_same_files_changes_and_publishes_nothing(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    rows = ["nip;nama;unit;guru;rumah_lat;rumah_lon"]
    rows += [f"{nip_for(i)};Pegawai {i};bkd;{'ya' if i % 3 == 0 else 'tidak'};-6,{100 + i};106,15" for i in range(50)]
    body = "\n".join(rows) + "\n"
    await post(policy, "/v1/imports/units", admin, UNITS)
    first = await post(policy, "/v1/imports/employees", admin, body)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["published"]) == (50, 50)
    count = await policy.outbox_count(tenant)

    for path, text in (("/v1/imports/units", UNITS), ("/v1/imports/employees", body)):
        again = await post(policy, path, admin, text)
        assert again.status_code == 200
        report = again.json()
        assert (report["created"], report["updated"], report["published"]) == (0, 0, 0), report
        assert report["unchanged"] == report["valid"]
    assert await policy.outbox_count(tenant) == count

    # One person moved house: only that row is updated, and the old home is kept, closed yesterday.
    old_line = f"{nip_for(7)};Pegawai 7;bkd;tidak;-6,107;106,15"
    moved = body.replace(old_line, f"{nip_for(7)};Pegawai 7;bkd;tidak;-6,5;106,9")
    dry = (await post(policy, "/v1/imports/employees", admin, moved, dry_run="true")).json()
    assert (dry["applied"], dry["updated"], dry["published"]) == (False, 1, 0)
    assert await policy.outbox_count(tenant) == count
    r = await post(policy, "/v1/imports/employees", admin, moved)
    assert (r.json()["updated"], r.json()["unchanged"], r.json()["published"]) == (1, 49, 1)
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    places = (await policy.client.get(f"/v1/employees/{nip_for(7)}/places", headers=admin,
                                      params={"purpose": "Pemeriksaan hasil impor"})).json()["places"]
    assert [(p["latitude"], p["valid_from"], p["valid_until"]) for p in places] == [
        (-6.107, None, str(today - timedelta(days=1))), (-6.5, str(today), None)]
    again = await post(policy, "/v1/imports/employees", admin, moved)
    assert again.json()["published"] == 0


async def test_multipart_upload_and_file_level_errors(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    files = {"file": ("unit.csv", UNITS.encode("utf-8-sig"), "text/csv")}
    r = await policy.client.post("/v1/imports/units", headers=admin, files=files)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    units = {u["id"]: u for u in (await policy.client.get("/v1/units", headers=admin)).json()["items"]}
    assert units["uptd-labkes"]["kind"] == "upt"
    assert units["uptd-labkes"]["effective_sector"] == "critical"  # inherited from dinkes

    r = await post(policy, "/v1/imports/employees", admin, "nama,unit\nBudi,bkd\n")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"row": 1, "column": "nip", "part": None,
                                   "message": "Kolom wajib 'nip' tidak ada / required column 'nip' is missing"}]
    r = await post(policy, "/v1/imports/employees", admin, "nama,unit\nBudi,bkd\n", apply_valid="true")
    assert r.status_code == 422 and r.json()["applied"] is False
    r = await policy.client.post("/v1/imports/employees", headers={**admin, "content-type": "application/json"},
                                 content=b"{}")
    assert r.status_code == 415
    r = await post(policy, "/v1/imports/employees", admin, "")
    assert r.status_code == 422
    r = await policy.client.post("/v1/imports/employees", headers={**admin, "content-type": "text/csv"},
                                 content=b"\xff\xfe\x00garbage\x00,\x00\n")
    assert r.status_code == 422
    cyclic = "kode,nama,induk\na,A,b\nb,B,a\nc,C,a\n"
    r = await post(policy, "/v1/imports/units", admin, cyclic)
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(2, "induk"), (3, "induk"), (4, "induk")]
    employee = policy.tokens.employee(tenant, nip_for(1), "bkd")
    assert (await post(policy, "/v1/imports/units", employee, UNITS)).status_code == 403
