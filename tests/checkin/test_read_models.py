"""The directory and policy read models, fed by ``directory.updated`` and ``policy.updated``
through Kafka: no call to the policy service on the request path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.checkin.store import DirectoryEmployee, DirectoryTenant
from services.contracts.events import DirectoryUpdated, EmployeeRecord, PolicyUpdated, TenantRecord
from services.contracts.policy import PolicyContent
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

DEWI, EKO = nip(31), nip(32)


def employee_event(who: str, *, unit: str = "bkd", active: bool = True) -> DirectoryUpdated:
    return DirectoryUpdated(entity="employee", employee=EmployeeRecord(
        nip=who, name=f"Pegawai {who[-2:]}", unit_id=unit, active=active, is_unit_head=unit == "sekda"))


def attendance(hours_ago: float = 0) -> dict[str, str]:
    return {"kind": "attendance", "captured_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()}


async def post_until(checkin: CheckinService, headers: dict[str, str], body: dict, status: int,
                     what: str) -> httpx.Response:
    """POST until the answer has ``status`` (the read model catches up asynchronously)."""
    async def attempt() -> httpx.Response | None:
        response = await checkin.client.post("/v1/checkins", json=body, headers=headers)
        return response if response.status_code == status else None

    return await eventually(attempt, timeout=30, interval=0.3, what=what)


async def test_directory_updates_decide_who_may_check_in(checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant, other = new_tenant(), new_tenant()
    headers = checkin.employee(tenant, DEWI)
    unknown = await checkin.client.post("/v1/checkins", json=attendance(), headers=headers)
    assert unknown.status_code == 403 and unknown.json()["detail"][0]["type"] == "unknown_employee"

    await kafka_io.publish(kafka_bootstrap, tenant, [
        DirectoryUpdated(entity="tenant", tenant=TenantRecord(id=tenant, name="Pemerintah Kota Uji", kind="city",
                                                              timezone="Asia/Makassar")),
        employee_event(DEWI),
    ])
    await kafka_io.publish(kafka_bootstrap, other, [employee_event(EKO, unit="dinkes")])

    accepted = await post_until(checkin, headers, attendance(), 201, "employee known after directory.updated")
    assert accepted.json()["unit_id"] == "bkd"
    async def eko_in_other() -> DirectoryEmployee | None:  # another key, another partition: its own pace
        async with checkin.rt.sessions() as session:
            return await session.get(DirectoryEmployee, (other, EKO))

    assert (await eventually(eko_in_other, timeout=30, what="Eko in the other tenant")).unit_id == "dinkes"
    async with checkin.rt.sessions() as session:
        assert (await session.get(DirectoryTenant, tenant)).timezone == "Asia/Makassar"  # type: ignore[union-attr]
        assert await session.get(DirectoryEmployee, (tenant, EKO)) is None
    # Eko exists only in the other tenant: a token of this tenant with his NIP is refused.
    eko_here = await checkin.client.post("/v1/checkins", json=attendance(), headers=checkin.employee(tenant, EKO))
    assert eko_here.status_code == 403

    # A move to another unit applies to the next check-in; deactivation refuses further ones.
    await kafka_io.publish(kafka_bootstrap, tenant, [employee_event(DEWI, unit="sekda")])

    async def in_new_unit() -> httpx.Response | None:
        response = await checkin.client.post("/v1/checkins", json=attendance(), headers=headers)
        assert response.status_code == 201, response.text
        return response if response.json()["unit_id"] == "sekda" else None

    await eventually(in_new_unit, timeout=30, interval=0.3, what="unit change applied")
    await kafka_io.publish(kafka_bootstrap, tenant, [employee_event(DEWI, unit="sekda", active=False)])
    refused = await post_until(checkin, headers, attendance(), 403, "deactivation applied")
    assert refused.json()["detail"][0]["type"] == "inactive_employee"
    stored = await checkin.rows(tenant)
    assert len(stored) >= 2 and all(r.employee_id == DEWI for r in stored)


async def test_policy_updated_sets_the_late_submission_limit(checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [DEWI])
    headers = checkin.employee(tenant, DEWI)
    # No policy known: the default 72 h admits a check-in captured 3 hours ago.
    assert (await checkin.client.post("/v1/checkins", json=attendance(3), headers=headers)).status_code == 201

    today = datetime.now(UTC).date()
    await kafka_io.publish(kafka_bootstrap, tenant, [PolicyUpdated(
        policy_id="800-258-bkd-2026", number="800/258-BKD/2026", version=1, title="WFH ASN",
        valid_from=date(today.year - 1, 1, 1), timezone="Asia/Jakarta",
        content=PolicyContent(late_submission_limit_hours=2),
        effective_at=datetime(today.year - 1, 1, 1, tzinfo=UTC))])

    refused = await post_until(checkin, headers, attendance(3), 422, "policy limit of 2 h applied")
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "captured_at"] and "2 jam" in error["msg"]
    assert (await checkin.client.post("/v1/checkins", json=attendance(1.5), headers=headers)).status_code == 201
