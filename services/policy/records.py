"""Rows of the policy store as contract records, for ``directory.updated``."""

from __future__ import annotations

from datetime import date

from services.contracts.events import EmployeeProfile, EmployeeRecord, Place, TenantRecord, UnitRecord
from services.contracts.rules.calendar import DEFAULT_CALENDAR, TenantCalendar
from services.contracts.rules.retention import RetentionPeriods
from services.policy.store import Employee, Tenant, Unit


def tenant_record(row: Tenant) -> TenantRecord:
    return TenantRecord(id=row.id, name=row.name, kind=row.kind, timezone=row.timezone,  # type: ignore[arg-type]
                        retention=RetentionPeriods.model_validate(row.retention) if row.retention else None,
                        calendar=TenantCalendar.model_validate(row.calendar) if row.calendar else None)


def tenant_calendar(row: Tenant | None) -> TenantCalendar:
    """The tenant's calendar in force: its own, else the national one (:data:`DEFAULT_CALENDAR`)."""
    return TenantCalendar.model_validate(row.calendar) if row is not None and row.calendar else DEFAULT_CALENDAR


def unit_record(row: Unit) -> UnitRecord:
    return UnitRecord(
        id=row.id, name=row.name, kind=row.kind, parent_id=row.parent_id,  # type: ignore[arg-type]
        sector=row.sector, effective_sector=row.effective_sector, active=row.active,  # type: ignore[arg-type]
    )


def employee_record(row: Employee) -> EmployeeRecord:
    return EmployeeRecord(
        nip=row.nip, name=row.name, position=row.position, unit_id=row.unit_id,
        is_teacher=row.is_teacher, is_front_line=row.is_front_line, is_unit_head=row.is_unit_head,
        active=row.active, email=row.email, phone=row.phone,
        places=[Place.model_validate(p) for p in row.places or []],
    )


def employee_profile(record: EmployeeRecord, inactive_since: date | None = None) -> EmployeeProfile:
    """What every service may know of an employee (``directory.updated.v2``): no places, no contacts."""
    return EmployeeProfile(
        nip=record.nip, name=record.name, position=record.position, unit_id=record.unit_id,
        is_teacher=record.is_teacher, is_front_line=record.is_front_line, is_unit_head=record.is_unit_head,
        active=record.active, inactive_since=inactive_since,
    )
