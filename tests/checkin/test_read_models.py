"""The directory and policy read models, fed by ``directory.updated.v2`` and ``policy.updated``
through Kafka: no call to the policy service on the request path. The tenant's retention periods
and an employee's ``inactive_since`` are kept for the retention job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.checkin.store import DirectoryEmployee, DirectoryTenant
from services.contracts.events import DirectoryUpdatedV2, EmployeeProfile, PolicyUpdated, TenantRecord
from services.contracts.policy import PolicyContent
from services.contracts.rules.retention import RetentionPeriods, periods_of
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

DEWI, EKO = nip(31), nip(32)


def employee_event(who: str, *, unit: str = "bkd", active: bool = True,
                   inactive_since: date | None = None) -> DirectoryUpdatedV2:
    return DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(
        nip=who, name=f"Pegawai {who[-2:]}", unit_id=unit, active=active, is_unit_head=unit == "sekda",
        inactive_since=inactive_since))


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

    periods = RetentionPeriods(checkin_coordinates_days=30, leaver_days=10)
    await kafka_io.publish(kafka_bootstrap, tenant, [
        DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(id=tenant, name="Pemerintah Kota Uji", kind="city",
                                                                timezone="Asia/Makassar", retention=periods)),
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
        stored_tenant = await session.get(DirectoryTenant, tenant)
        assert stored_tenant is not None and stored_tenant.timezone == "Asia/Makassar"
        assert periods_of(stored_tenant.retention) == periods, "the tenant's periods, for the retention job"
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
    left = date(2026, 3, 2)
    await kafka_io.publish(kafka_bootstrap, tenant, [employee_event(DEWI, unit="sekda", active=False,
                                                                    inactive_since=left)])
    refused = await post_until(checkin, headers, attendance(), 403, "deactivation applied")
    assert refused.json()["detail"][0]["type"] == "inactive_employee"
    async with checkin.rt.sessions() as session:
        dewi = await session.get(DirectoryEmployee, (tenant, DEWI))
        assert dewi is not None and dewi.inactive_since == left, "the leaving day, for the retention job"
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
