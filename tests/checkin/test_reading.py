"""Reading check-ins: an employee sees their own with the verdict that came back in
``checkin.evaluated``; a unit head sees their unit's and no other; tenants never mix."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.checkin.store import inbox
from services.contracts.events import CheckinEvaluated
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

ANI, BUDI, CITRA = nip(21), nip(22), nip(23)  # Ani and Budi in BKD, Citra in the health office


async def submit(checkin: CheckinService, tenant: str, who: str, unit: str, captured: datetime) -> dict[str, Any]:
    response = await checkin.client.post(
        "/v1/checkins", headers=checkin.employee(tenant, who, unit),
        json={"kind": "attendance", "captured_at": captured.isoformat()})
    assert response.status_code == 201, response.text
    return response.json()


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


async def test_employee_unit_head_and_tenant_boundaries(checkin: CheckinService) -> None:
    tenant, other = new_tenant(), new_tenant()
    await checkin.seed_employees(tenant, [ANI, BUDI], unit="bkd")
    await checkin.seed_employees(tenant, [CITRA], unit="dinkes")
    await checkin.seed_employees(other, [ANI], unit="bkd")  # the same NIP and unit name in another tenant
    now = datetime.now(UTC)
    ani = [await submit(checkin, tenant, ANI, "bkd", now - timedelta(minutes=m)) for m in (30, 20)]
    budi = await submit(checkin, tenant, BUDI, "bkd", now - timedelta(minutes=25))
    citra = await submit(checkin, tenant, CITRA, "dinkes", now - timedelta(minutes=15))
    ani_elsewhere = await submit(checkin, other, ANI, "bkd", now - timedelta(minutes=10))

    mine = await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI))
    assert ids(mine) == [ani[1]["id"], ani[0]["id"]]  # newest first, only Ani's, only this tenant's
    assert {c["status"] for c in mine.json()["items"]} == {"pending"}

    head = checkin.head(tenant, "bkd")
    assert ids(await checkin.client.get("/v1/units/bkd/checkins", headers=head)) == [
        ani[1]["id"], budi["id"], ani[0]["id"]]
    denied = await checkin.client.get("/v1/units/dinkes/checkins", headers=head)
    assert denied.status_code == 403 and denied.json()["detail"][0]["type"] == "not_your_unit"

    admin = checkin.tokens.admin(tenant)
    assert ids(await checkin.client.get("/v1/units/dinkes/checkins", headers=admin)) == [citra["id"]]
    other_head = checkin.head(other, "bkd")
    assert ids(await checkin.client.get("/v1/units/bkd/checkins", headers=other_head)) == [ani_elsewhere["id"]]
    plain_employee = await checkin.client.get("/v1/units/bkd/checkins", headers=checkin.employee(tenant, ANI))
    assert plain_employee.status_code == 403
    limited = await checkin.client.get("/v1/units/bkd/checkins", headers=head, params={"limit": 1})
    assert ids(limited) == [ani[1]["id"]]
    paged, after = [], limited.json()["next_after"]  # the cursor walks the rest, each row once, then ends
    while after is not None:
        page = await checkin.client.get("/v1/units/bkd/checkins", headers=head, params={"limit": 1, "after": after})
        paged += ids(page)
        after = page.json()["next_after"]
    assert paged == [budi["id"], ani[0]["id"]]
    for bad in ("kemarin", f"{now.isoformat()}~{ANI}"):
        refused = await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI),
                                           params={"after": bad})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "after"], refused.text


async def test_date_filter_uses_the_tenants_zone(checkin: CheckinService) -> None:
    tenant = new_tenant()
    zone = ZoneInfo("Asia/Jayapura")  # WIT, UTC+9: its days start at 15:00 UTC
    await checkin.seed_employees(tenant, [ANI], timezone="Asia/Jayapura")
    await checkin.seed_policy(tenant, limit_hours=24 * 7, valid_from=date(2000, 1, 1))
    day = datetime.now(zone).date() - timedelta(days=2)

    def local(d: date, hh: int, mm: int) -> datetime:
        return datetime.combine(d, time(hh, mm), zone)

    early = await submit(checkin, tenant, ANI, "bkd", local(day, 0, 30))
    late = await submit(checkin, tenant, ANI, "bkd", local(day, 23, 30))
    await submit(checkin, tenant, ANI, "bkd", local(day - timedelta(days=1), 23, 30))
    await submit(checkin, tenant, ANI, "bkd", local(day + timedelta(days=1), 0, 30))
    response = await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI),
                                        params={"date": str(day)})
    assert ids(response) == [late["id"], early["id"]]


async def test_verdict_from_checkin_evaluated_shows_in_my_checkins(checkin: CheckinService,
                                                                   kafka_bootstrap: str) -> None:
    tenant, intruder = new_tenant(), new_tenant()
    await checkin.seed_employees(tenant, [ANI], unit="bkd")
    captured = datetime.now(UTC) - timedelta(minutes=3)
    first = await submit(checkin, tenant, ANI, "bkd", captured)
    second = await submit(checkin, tenant, ANI, "bkd", captured + timedelta(minutes=1))

    def verdict(checkin_id: str, **fields: Any) -> CheckinEvaluated:
        return CheckinEvaluated(
            checkin_id=uuid.UUID(checkin_id), employee_id=ANI, unit_id="bkd", kind="attendance",
            captured_at=captured, received_at=captured, local_date=captured.date(), **fields)

    # A verdict carrying another tenant must not touch this tenant's check-in.
    [intruding] = await kafka_io.publish(kafka_bootstrap, intruder, [verdict(first["id"], status="outside_window")])

    async def handled() -> bool:
        async with checkin.rt.sessions() as session:
            return bool(await session.scalar(select(inbox.c.event_id).where(inbox.c.event_id == intruding)))

    await eventually(handled, timeout=30, what="the other tenant's verdict consumed")
    still = (await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI))).json()["items"]
    assert {r["status"] for r in still} == {"pending"}

    await kafka_io.publish(kafka_bootstrap, tenant, [
        verdict(first["id"], status="late", window_id="attendance", late_minutes=7, geofence="inside",
                distance_m=42.5, suspicious=True, reasons=["mock_location"]),
    ])

    async def evaluated() -> list[dict[str, Any]] | None:
        rows = (await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI))).json()["items"]
        return rows if any(r["status"] != "pending" for r in rows) else None

    rows = {r["id"]: r for r in await eventually(evaluated, timeout=30, what="verdict applied")}
    got = rows[first["id"]]
    assert (got["status"], got["window_id"], got["late_minutes"]) == ("late", "attendance", 7)
    assert got["geofence"] == "inside"
    assert (got["distance_m"], got["suspicious"], got["reasons"]) == (42.5, True, ["mock_location"])
    assert rows[second["id"]]["status"] == "pending"
    head_view = await checkin.client.get("/v1/units/bkd/checkins", headers=checkin.head(tenant, "bkd"))
    assert {r["id"]: r["status"] for r in head_view.json()["items"]} == {first["id"]: "late", second["id"]: "pending"}
