"""Writes to the directory: the tenant itself, units (with inherited sectors) and employees.

Every write compares each contract record before and after; only records that
actually changed are stored and published as ``directory.updated``, so PUTting
or importing the same data again publishes nothing. Units are handled as a whole
tree per tenant (its shape: :mod:`.domain.unit_tree`): after any change every unit's
effective sector is recomputed (:mod:`services.contracts.rules.sectors`), and sub-units
whose inherited sector moved are stored and re-published too ("cascaded"). Rows and
outbox rows are written with bulk statements inside the caller's transaction; which topics
learn of a change is :mod:`.publishing`'s to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import EmployeeRecord, TenantKind, TenantRecord, UnitRecord
from services.contracts.policy import Sector, local_date
from services.contracts.rules.sectors import directory_sectors
from services.policy import publishing
from services.policy.domain.unit_tree import UnitSpec
from services.policy.records import employee_record, tenant_record, unit_record
from services.policy.store import Employee, Tenant, Unit
from services.runtime import sql
from services.runtime.service import ServiceRuntime

IN_CHUNK = 5000
DEFAULT_ZONE = "Asia/Jakarta"


async def save_tenant(rt: ServiceRuntime, session: AsyncSession, tenant: str, name: str, kind: TenantKind,
                      timezone: str) -> TenantRecord:
    """Create or change the tenant's own record (its retention and calendar kept) and stage
    ``directory.updated`` when it changed; the record as it now stands."""
    row = await session.get(Tenant, tenant)
    before = tenant_record(row) if row else None
    record = TenantRecord(id=tenant, name=name, kind=kind, timezone=timezone,
                          retention=before.retention if before else None, calendar=before.calendar if before else None)
    if record != before:
        await session.merge(Tenant(id=tenant, name=name, kind=kind, timezone=timezone))
        await publishing.stage_tenant(rt, session, record)
    return record


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cascaded: int = 0
    published: int = 0
    changed_ids: list[str] = field(default_factory=list)


# --- units -----------------------------------------------------------------------


async def unit_rows(session: AsyncSession, tenant: str) -> dict[str, Unit]:
    rows = await session.scalars(select(Unit).where(Unit.tenant == tenant))
    return {r.id: r for r in rows}


async def save_units(rt: ServiceRuntime, session: AsyncSession, tenant: str, specs: Sequence[UnitSpec], *,
                     write: bool = True) -> Outcome:
    """Store ``specs`` (already checked with :func:`.domain.unit_tree.tree_problems`) and every sub-unit they affect
    (with ``write=False``, only count what would change)."""
    rows = await unit_rows(session, tenant)
    before = {unit_id: unit_record(row) for unit_id, row in rows.items()}
    desired: dict[str, UnitSpec] = {
        r.id: UnitSpec(r.id, r.name, r.kind, r.parent_id, Sector(r.sector) if r.sector else None, r.active)  # type: ignore[arg-type]
        for r in rows.values()
    }
    desired.update({s.id: s for s in specs})
    effective = directory_sectors({i: s.parent_id for i, s in desired.items()},
                                  {i: s.sector for i, s in desired.items()})
    after = {
        i: UnitRecord(id=i, name=s.name, kind=s.kind, parent_id=s.parent_id, sector=s.sector,
                      effective_sector=effective[i], active=s.active)
        for i, s in desired.items()
    }
    changed = [after[i] for i in sorted(after) if before.get(i) != after[i]]
    asked = {s.id for s in specs}
    outcome = Outcome(changed_ids=[r.id for r in changed])
    for unit_id in asked:
        if unit_id not in before:
            outcome.created += 1
        elif before[unit_id] != after[unit_id]:
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    outcome.cascaded = sum(1 for r in changed if r.id not in asked)
    if not write:
        return outcome
    await sql.upsert(session, Unit.__table__, [_unit_row(tenant, r) for r in changed], ["tenant", "id"])
    outcome.published = await publishing.stage_units(rt, session, tenant, changed)
    return outcome


def _unit_row(tenant: str, r: UnitRecord) -> dict[str, object]:
    return {"tenant": tenant, "id": r.id, "name": r.name, "kind": r.kind, "parent_id": r.parent_id,
            "sector": r.sector.value if r.sector else None, "effective_sector": r.effective_sector.value,
            "active": r.active}


# --- employees -------------------------------------------------------------------


async def employee_records(session: AsyncSession, tenant: str, nips: Iterable[str]) -> dict[str, EmployeeRecord]:
    """The stored records of ``nips`` (those that exist), read in chunks."""
    wanted = list(dict.fromkeys(nips))
    found: dict[str, EmployeeRecord] = {}
    for i in range(0, len(wanted), IN_CHUNK):
        rows = await session.scalars(
            select(Employee).where(Employee.tenant == tenant, Employee.nip.in_(wanted[i:i + IN_CHUNK])))
        found.update({r.nip: employee_record(r) for r in rows})
    return found


async def save_employees(rt: ServiceRuntime, session: AsyncSession, tenant: str,
                         targets: Sequence[EmployeeRecord], before: Mapping[str, EmployeeRecord], *,
                         write: bool = True, today: date | None = None) -> Outcome:
    """Store the targets that differ from ``before`` and publish them (``write=False``: only count).
    An employee who turns inactive is marked inactive since ``today`` (the tenant's day; default: today
    in the tenant's zone), one who turns active again is not; retention counts from that day."""
    outcome = Outcome()
    changed: list[EmployeeRecord] = []
    for record in targets:
        old = before.get(record.nip)
        if old is None:
            outcome.created += 1
            changed.append(record)
        elif old != record:
            outcome.updated += 1
            changed.append(record)
        else:
            outcome.unchanged += 1
    outcome.changed_ids = [r.nip for r in changed]
    if not write:
        return outcome
    if not changed:
        return outcome
    since = await _inactive_since(session, tenant, changed, before, today)
    await sql.upsert(session, Employee.__table__, [_employee_row(tenant, r, since[r.nip]) for r in changed],
                     ["tenant", "nip"])
    outcome.published = await publishing.stage_employees(rt, session, tenant, changed, before, since)
    return outcome


async def _inactive_since(session: AsyncSession, tenant: str, changed: Sequence[EmployeeRecord],
                          before: Mapping[str, EmployeeRecord], today: date | None) -> dict[str, date | None]:
    """Each changed employee's ``inactive_since``: kept while they stay inactive, ``today`` when they
    turn (or are created) inactive, none while active."""
    stored: dict[str, date | None] = {}
    leaving = [r.nip for r in changed if not r.active]
    for i in range(0, len(leaving), IN_CHUNK):
        rows = await session.execute(select(Employee.nip, Employee.inactive_since).where(
            Employee.tenant == tenant, Employee.nip.in_(leaving[i:i + IN_CHUNK])))
        stored.update({nip: since for nip, since in rows.tuples()})
    if leaving and today is None:
        zone = await session.scalar(select(Tenant.timezone).where(Tenant.id == tenant))
        today = local_date(datetime.now(UTC), zone or DEFAULT_ZONE)
    since: dict[str, date | None] = {}
    for r in changed:
        old = before.get(r.nip)
        if r.active:
            since[r.nip] = None
        elif old is not None and not old.active and stored.get(r.nip) is not None:
            since[r.nip] = stored[r.nip]
        else:
            since[r.nip] = today
    return since


def _employee_row(tenant: str, r: EmployeeRecord, inactive_since: date | None) -> dict[str, object]:
    data = r.model_dump(mode="json")
    return {"tenant": tenant, **data, "inactive_since": inactive_since}
