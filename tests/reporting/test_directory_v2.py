"""Reporting's directory read model follows ``directory.updated.v2`` (real handlers, real PostgreSQL):
the tenant record brings the tenant's retention periods, which a later full record may drop again."""

from __future__ import annotations

from services.contracts.events import DirectoryUpdatedV2, EmployeeProfile, TenantRecord
from services.contracts.rules.retention import DEFAULT_PERIODS, RetentionPeriods, periods_of
from services.reporting.store import Employee, Tenant
from tests.reporting.conftest import Instance, apply, nip

TENANT = "pandeglang"


def tenant_record(retention: RetentionPeriods | None) -> DirectoryUpdatedV2:
    return DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=TENANT, name="Pemerintah Kabupaten Pandeglang", kind="regency", timezone="Asia/Jakarta",
        retention=retention))


async def stored_periods(reporting: Instance) -> RetentionPeriods:
    async with reporting.rt.sessions() as session:
        row = await session.get(Tenant, TENANT)
        assert row is not None
        return periods_of(row.retention)


async def test_the_tenant_record_brings_its_retention_periods(reporting: Instance) -> None:
    periods = RetentionPeriods(notices_days=60, checkin_coordinates_days=14)
    await apply(reporting.rt, TENANT, tenant_record(periods),
                DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(
                    nip=nip(1), name="Asep", unit_id="bkd", active=False)))
    assert await stored_periods(reporting) == periods
    async with reporting.rt.sessions() as session:
        employee = await session.get(Employee, (TENANT, nip(1)))
        assert employee is not None and employee.active is False

    await apply(reporting.rt, TENANT, tenant_record(None))  # a full record: no periods, the defaults
    assert await stored_periods(reporting) == DEFAULT_PERIODS
