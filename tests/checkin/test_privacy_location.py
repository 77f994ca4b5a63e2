"""A check-in's raw coordinates, on a need-to-know basis: only the tenant's admin, only with a
stated purpose, and every read served appends exactly one ``LocationRead`` to the outbox (in
the read's transaction); a refused read appends none. Coordinates that retention removed
answer 410. On the real service (PostgreSQL, Kafka: the events reach their topic)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.checkin.api.coordinates import ENDPOINT
from services.contracts.events import LocationRead
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.checkin.privacy import POINTS, location_reads, published_reads, reduce, submit

pytestmark = pytest.mark.infra

ANI, BUDI = nip(41), nip(42)
PURPOSE = "Verifikasi laporan lokasi untuk sidang disiplin"
URL = "/v1/checkins/{}/location"
FORMAT = "value_error"  # the purpose's rule (contracts.rules.purpose), in both languages


async def test_the_admin_reads_coordinates_with_a_purpose_and_each_read_is_logged_once(
        checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI, BUDI])
    now = datetime.now(UTC)
    ani = await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=9), point=POINTS[0])
    budi = await submit(checkin, tenant, BUDI, "bkd", now - timedelta(minutes=8), point=POINTS[1])
    admin = checkin.tokens.headers(tenant=tenant, roles=["tenant_admin"], nip=BUDI, subject=f"bkd-admin@{tenant}")

    first = await checkin.client.get(URL.format(ani["id"]), headers=admin, params={"purpose": PURPOSE})
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.json() == {
        "checkin_id": ani["id"], "employee_id": ANI, "kind": "location", "captured_at": ani["captured_at"],
        "latitude": POINTS[0][0], "longitude": POINTS[0][1], "accuracy_m": 9.5, "mock_location": False}
    [read] = await location_reads(checkin, tenant)
    assert {k: v for k, v in read.items() if k not in ("read_id", "at")} == {
        "employee_id": ANI, "actor": f"bkd-admin@{tenant}", "actor_nip": BUDI, "actor_roles": ["tenant_admin"],
        "purpose": PURPOSE, "endpoint": ENDPOINT, "data": "checkin_location", "records": 1}
    assert now <= datetime.fromisoformat(read["at"]) <= datetime.now(UTC)

    again = await checkin.client.get(URL.format(ani["id"]), headers=admin, params={"purpose": PURPOSE})
    other = await checkin.client.get(URL.format(budi["id"]), headers=admin, params={"purpose": "Audit BKD " * 3})
    assert (again.status_code, other.status_code) == (200, 200)
    assert other.json()["latitude"] == POINTS[1][0]
    reads = await location_reads(checkin, tenant)
    assert [(r["employee_id"], r["purpose"]) for r in reads] == [
        (ANI, PURPOSE), (ANI, PURPOSE), (BUDI, ("Audit BKD " * 3).strip())]
    assert len({r["read_id"] for r in reads}) == 3, "every read is its own entry"

    records = await published_reads(checkin, kafka_bootstrap, tenant)  # what policy's access log consumes
    assert sorted(json.loads(r.value)["read_id"] for r in records) == sorted(r["read_id"] for r in reads)
    assert {r.key for r in records} == {f"{tenant}/{ANI}".encode(), f"{tenant}/{BUDI}".encode()}
    assert {dict(r.headers)["ce_type"] for r in records} == {LocationRead.TYPE.encode()}


@pytest.mark.parametrize(("purpose", "why"), [
    (None, "missing"), ("", "string_too_short"), ("Cek lokasi", None), ("cek lokas", "string_too_short"),
    ("x" * 501, "string_too_long"), ("          ", FORMAT), ("Cek lokasi\npegawai", FORMAT),
    ("Cek lokasi\x00pegawai", FORMAT), ("Audit\x85pegawai BKD", FORMAT),
])
async def test_a_purpose_is_required_and_bounded(checkin: CheckinService, purpose: str | None,
                                                 why: str | None) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI])
    ani = await submit(checkin, tenant, ANI, "bkd", datetime.now(UTC) - timedelta(minutes=5), point=POINTS[0])
    params = {"purpose": purpose} if purpose is not None else {}
    response = await checkin.client.get(URL.format(ani["id"]), headers=checkin.tokens.admin(tenant), params=params)
    if why is None:  # exactly ten printable characters: enough
        assert response.status_code == 200, response.text
        assert len(await location_reads(checkin, tenant)) == 1
        return
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["query", "purpose"], why)
    assert error["msg"].startswith("purpose: ")
    if why == FORMAT:
        assert "tujuan akses: 10-500 karakter yang dapat dicetak, tidak hanya spasi" in error["msg"]
    assert await location_reads(checkin, tenant) == []


async def test_refused_reads_log_nothing(checkin: CheckinService) -> None:
    tenant, other = new_tenant(), new_tenant()
    await checkin.seed_employees(tenant, [ANI, BUDI])
    await checkin.seed_employees(other, [ANI])
    now = datetime.now(UTC)
    located = await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=7), point=POINTS[0])
    report = await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=6), kind="activity_report",
                          activity_text="Menyusun laporan kinerja")
    attendance = await submit(checkin, tenant, BUDI, "bkd", now - timedelta(minutes=5), kind="attendance")
    params = {"purpose": PURPOSE}

    async def status(checkin_id: str, headers: dict[str, str]) -> int:
        response = await checkin.client.get(URL.format(checkin_id), headers=headers, params=params)
        return response.status_code

    head = checkin.head(tenant, "bkd", nip_=BUDI)
    assert await status(located["id"], head) == 403  # a unit head reads verdicts, never coordinates
    assert await status(located["id"], checkin.employee(tenant, ANI)) == 403  # nor the employee here (self-export)
    assert await status(located["id"], checkin.tokens.headers(tenant=tenant, roles=["integrator"])) == 403
    assert await status(located["id"], checkin.tokens.admin(other)) == 404  # another tenant's admin
    assert await status("00000000-0000-4000-8000-000000000000", checkin.tokens.admin(tenant)) == 404
    assert await status(report["id"], checkin.tokens.admin(tenant)) == 404  # no coordinates to read
    assert await status(attendance["id"], checkin.tokens.admin(tenant)) == 404
    assert (await checkin.client.get(URL.format("not-a-uuid"), headers=checkin.tokens.admin(tenant),
                                     params=params)).status_code == 422
    assert (await checkin.client.get(URL.format(located["id"]), params=params)).status_code == 401
    assert await location_reads(checkin, tenant) == []
    assert await location_reads(checkin, other) == []


async def test_coordinates_removed_under_retention_answer_410(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI])
    now = datetime.now(UTC)
    old = await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=4), point=POINTS[0])
    kept = await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=3), point=POINTS[1])
    await reduce(checkin, old["id"], now)
    admin = checkin.tokens.admin(tenant)

    gone = await checkin.client.get(URL.format(old["id"]), headers=admin, params={"purpose": PURPOSE})
    assert gone.status_code == 410, gone.text
    assert gone.json()["detail"] == [{"loc": ["path", "checkin_id"], "type": "location_reduced", "msg": (
        "checkin_id: Koordinat check-in ini telah dihapus sesuai masa retensi")}]
    english = await checkin.client.get(URL.format(old["id"]), params={"purpose": PURPOSE},
                                       headers={**admin, "Accept-Language": "en"})
    assert english.json()["detail"][0]["msg"] == (
        "checkin_id: the coordinates of this check-in were removed under the retention period")
    assert await location_reads(checkin, tenant) == []

    served = await checkin.client.get(URL.format(kept["id"]), headers=admin, params={"purpose": PURPOSE})
    assert served.status_code == 200 and served.json()["latitude"] == POINTS[1][0]
    assert [r["employee_id"] for r in await location_reads(checkin, tenant)] == [ANI]
