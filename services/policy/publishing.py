"""What a directory change publishes, in the transaction that makes it: the one place that decides
which topics learn of a tenant, unit or employee (UU PDP 27/2022: each event carries only what its
consumers need, docs/privacy.md).

- ``directory.updated.v2`` for every change: tenants, units, and employees without places or contacts;
- ``directory.contacts.v1`` for an employee whose e-mail or phone changed (notify is its only consumer);
  :func:`stage_contact_removals` stages tombstones when retention removed them;
- ``directory.updated.v1`` (deprecated: places and contacts in every record) as well only while
  ``publish_directory_v1`` is on (``HADIR_PUBLISH_DIRECTORY_V1``), also after retention removed
  superseded places (:func:`stage_places_reduced`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.events import (
    DirectoryContact,
    DirectoryUpdated,
    DirectoryUpdatedV2,
    EmployeeRecord,
    TenantRecord,
    UnitRecord,
)
from services.policy.records import employee_profile
from services.runtime import outbox
from services.runtime.service import ServiceRuntime


def _v1(rt: ServiceRuntime) -> bool:
    return bool(getattr(rt.settings, "publish_directory_v1", False))


async def stage_tenant(rt: ServiceRuntime, session: AsyncSession, record: TenantRecord) -> None:
    events: list[Event] = [DirectoryUpdatedV2(entity="tenant", tenant=record)]
    if _v1(rt):
        events.append(DirectoryUpdated(entity="tenant", tenant=record))
    await outbox.stage_many(session, rt.outbox, events, tenant=record.id, source=rt.source)


async def stage_units(rt: ServiceRuntime, session: AsyncSession, tenant: str, records: Sequence[UnitRecord]) -> int:
    """Stage the changed units; the number of changes published."""
    events: list[Event] = [DirectoryUpdatedV2(entity="unit", unit=r) for r in records]
    if _v1(rt):
        events += [DirectoryUpdated(entity="unit", unit=r) for r in records]
    await outbox.stage_many(session, rt.outbox, events, tenant=tenant, source=rt.source)
    return len(records)


async def stage_employees(rt: ServiceRuntime, session: AsyncSession, tenant: str, records: Sequence[EmployeeRecord],
                          before: Mapping[str, EmployeeRecord], inactive_since: Mapping[str, date | None]) -> int:
    """Stage the changed employees: their profile, and their contact details where those changed
    (``before``: the stored records, absent for a new employee); the number of changes published."""
    events: list[Event] = [
        DirectoryUpdatedV2(entity="employee", employee=employee_profile(r, inactive_since.get(r.nip))) for r in records]
    events += [DirectoryContact(nip=r.nip, email=r.email, phone=r.phone) for r in records
               if _contact_changed(before.get(r.nip), r)]
    if _v1(rt):
        events += [DirectoryUpdated(entity="employee", employee=r) for r in records]
    await outbox.stage_many(session, rt.outbox, events, tenant=tenant, source=rt.source)
    return len(records)


async def stage_contact_removals(rt: ServiceRuntime, session: AsyncSession, tenant: str,
                                 nips: Sequence[str]) -> None:
    """Tombstones for the contact details retention removed (and, while v1 is on, the v1 records of
    those employees, which carried them)."""
    await outbox.stage_tombstones(session, rt.outbox, DirectoryContact, nips, tenant=tenant, source=rt.source)
    if _v1(rt):
        await outbox.stage_tombstones(session, rt.outbox, DirectoryUpdated, nips, tenant=tenant, source=rt.source)


async def stage_places_reduced(rt: ServiceRuntime, session: AsyncSession, tenant: str,
                               records: Sequence[EmployeeRecord]) -> None:
    """The employees whose superseded places retention removed: only ``directory.updated.v1`` carries
    places, so they are re-published there (while v1 is on), and compaction drops the older values."""
    if _v1(rt) and records:
        await outbox.stage_many(session, rt.outbox, [DirectoryUpdated(entity="employee", employee=r) for r in records],
                                tenant=tenant, source=rt.source)


def _contact_changed(old: EmployeeRecord | None, new: EmployeeRecord) -> bool:
    if old is None:
        return new.email is not None or new.phone is not None
    return (old.email, old.phone) != (new.email, new.phone)
