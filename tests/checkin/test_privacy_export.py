"""The check-in service's part of the data-subject download (``GET /v1/me/export``): every
check-in of the caller with its verdict and, where retention kept them, the coordinates, in
JSON and CSV; nothing of another employee or tenant; an export that hands out coordinates
appends one ``LocationRead`` (self access), one without appends none."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.checkin.api.me_export import ENDPOINT
from services.contracts.rules.purpose import SELF_ACCESS
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.checkin.privacy import POINTS, digits, judged, location_reads, reduce, submit

pytestmark = pytest.mark.infra

ANI, BUDI, CITRA = nip(61), nip(62), nip(63)
ZONE = "Asia/Makassar"  # WITA, UTC+8


async def test_the_export_holds_every_checkin_of_the_caller_and_nothing_else(
        checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant, other = new_tenant(), new_tenant()
    await checkin.seed_employees(tenant, [ANI, BUDI], timezone=ZONE)
    await checkin.seed_employees(other, [ANI], timezone=ZONE)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    located = await submit(checkin, tenant, ANI, "bkd", t0, point=POINTS[0], device_id="web-ani")
    reduced = await submit(checkin, tenant, ANI, "bkd", t0 + timedelta(minutes=1), point=POINTS[1])
    attended = await submit(checkin, tenant, ANI, "bkd", t0 + timedelta(minutes=2), kind="attendance",
                            point=POINTS[2])
    reported = await submit(checkin, tenant, ANI, "bkd", t0 + timedelta(minutes=3), kind="activity_report",
                            activity_text="Menyusun telaahan staf", attachment_ref="https://drive.example/ani")
    met = await submit(checkin, tenant, ANI, "bkd", t0 + timedelta(minutes=4), kind="video_conference",
                       meeting_ref="zoom-ani-1400")
    budi = await submit(checkin, tenant, BUDI, "bkd", t0 + timedelta(minutes=5), kind="activity_report",
                        activity_text="Rahasia Budi")
    elsewhere = await submit(checkin, other, ANI, "bkd", t0 + timedelta(minutes=6), kind="activity_report",
                             activity_text="Instansi lain")
    await judged(checkin, kafka_bootstrap, tenant, located, place="Rumah", distance_m=35.5)
    await reduce(checkin, reduced["id"], datetime.now(UTC))

    response = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, ANI, "bkd"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="hadir-checkin-{ANI}-')
    export = response.json()
    assert (export["service"], export["tenant"], export["employee_id"]) == ("checkin", tenant, ANI)
    assert export["sections"]["profile"] == [{"nip": ANI, "name": f"Pegawai {ANI[-3:]}", "unit_id": "bkd",
                                              "active": True, "is_unit_head": False, "inactive_since": None}]
    rows = {r["id"]: r for r in export["sections"]["checkins"]}
    assert list(rows) == [c["id"] for c in (located, reduced, attended, reported, met)], "all, in capture order"
    first = rows[located["id"]]
    assert first["location"] == {"latitude": POINTS[0][0], "longitude": POINTS[0][1], "accuracy_m": 9.5,
                                 "mock_location": False}
    assert (first["status"], first["window_id"], first["geofence"], first["distance_m"], first["place_name"]) == (
        "on_time", "lokasi", "inside", 35.5, "Rumah")
    assert first["device_id"] == "web-ani" and first["evaluated_at"] is not None
    assert datetime.fromisoformat(first["captured_at"]) == t0
    assert first["captured_at_local"] == t0.astimezone(ZoneInfo(ZONE)).isoformat()
    assert first["captured_at_local"].endswith("+08:00")
    assert rows[reduced["id"]]["location"] is None and rows[reduced["id"]]["coordinates_removed_at"] is not None
    assert first["coordinates_removed_at"] is None
    assert rows[attended["id"]]["location"]["latitude"] == POINTS[2][0]
    assert (rows[reported["id"]]["activity_text"], rows[reported["id"]]["attachment_ref"]) == (
        "Menyusun telaahan staf", "https://drive.example/ani")
    assert rows[met["id"]]["meeting_ref"] == "zoom-ani-1400"
    assert rows[met["id"]]["status"] == "pending" and rows[met["id"]]["place_name"] is None
    for foreign in (BUDI, budi["id"], "Rahasia Budi", elsewhere["id"], "Instansi lain", *digits(POINTS[1])):
        assert foreign not in response.text

    [read] = await location_reads(checkin, tenant)
    assert {k: read[k] for k in ("employee_id", "actor", "actor_nip", "actor_roles", "purpose", "endpoint", "data",
                                 "records")} == {
        "employee_id": ANI, "actor": ANI, "actor_nip": ANI, "actor_roles": ["employee"], "purpose": SELF_ACCESS,
        "endpoint": ENDPOINT, "data": "self_export", "records": 2}

    as_csv = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, ANI, "bkd"),
                                      params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0] == ["section", "record", "field", "value"]
    records: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for section, record, key, value in table[1:]:
        records[section][record][key] = value
    assert set(records) == {"_export", "profile", "checkins"}
    assert records["_export"]["0"]["employee_id"] == ANI
    assert [r["id"] for r in records["checkins"].values()] == list(rows)
    assert records["checkins"]["1"]["place_name"] == "Rumah"
    assert digits(POINTS[0])[0] in records["checkins"]["1"]["location"]
    for foreign in (BUDI, budi["id"], "Rahasia Budi", elsewhere["id"]):
        assert foreign not in as_csv.text
    assert [r["records"] for r in await location_reads(checkin, tenant)] == [2, 2], "one entry per export"
    assert await location_reads(checkin, other) == []


async def test_an_export_without_coordinates_logs_no_read(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [CITRA])
    await submit(checkin, tenant, CITRA, "bkd", datetime.now(UTC) - timedelta(minutes=2), kind="activity_report",
                 activity_text="Rapat koordinasi")
    for fmt in ("json", "csv"):
        response = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, CITRA, "bkd"),
                                            params={"format": fmt})
        assert response.status_code == 200, response.text
        assert "Rapat koordinasi" in response.text
    assert await location_reads(checkin, tenant) == []

    unknown = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, BUDI, "bkd"))
    assert unknown.status_code == 200
    assert unknown.json()["sections"] == {"profile": [], "checkins": []}, "every section, empty or not"


@pytest.mark.parametrize(("claims", "expected", "kind"), [
    ({"roles": ["employee"]}, 403, "missing_nip"),
    ({"roles": ["tenant_admin"], "nip": ANI}, 403, "role_required"),
    ({"roles": ["integrator"]}, 403, "role_required"),
    ({"roles": ["employee"], "nip": ANI, "format": "xlsx"}, 422, "literal_error"),
])
async def test_refused_exports(checkin: CheckinService, claims: dict[str, Any], expected: int, kind: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI])
    await submit(checkin, tenant, ANI, "bkd", datetime.now(UTC) - timedelta(minutes=2), point=POINTS[0])
    fmt = claims.pop("format", "json")
    headers = checkin.tokens.headers(tenant=tenant, unit="bkd", **claims)
    response = await checkin.client.get("/v1/me/export", headers=headers, params={"format": fmt})
    assert response.status_code == expected, response.text
    assert response.json()["detail"][0]["type"] == kind
    assert await location_reads(checkin, tenant) == []


async def test_the_file_name_keeps_to_safe_characters(checkin: CheckinService) -> None:
    """The NIP in the file name is a token's claim: whatever it holds, the header stays one header."""
    tenant = new_tenant()
    headers = checkin.tokens.headers(tenant=tenant, roles=["employee"], nip='1990"; x=\r\nSet-Cookie: a=b', unit="bkd")
    response = await checkin.client.get("/v1/me/export", headers=headers)
    assert response.status_code == 200, response.text
    assert "set-cookie" not in response.headers
    name = response.headers["content-disposition"].removeprefix('attachment; filename="').removesuffix('"')
    assert name.startswith("hadir-checkin-1990-x-Set-Cookie-a-b-") and name.endswith(".json"), name
