"""Who may submit, in memory: the directory's employees, each tenant's zone and its letter
versions — the lookups every check-in needs, without a query each.

Guarantee: a group of submissions is answered from what the read-model tables held when its
transaction asked for their generation (``read_model_generation``, raised in the same
transaction as every change to them, by whichever replica's consumer made it; the caller reads
it in its transaction's first statement and passes it on): a changed
generation empties the copy first, so a directory or letter change is seen by every replica's
next group, never later. What is missing is loaded for the whole group at once (one query per
kind). Bounded: at most ``max_employees`` employees and ``max_tenants`` tenants are kept, the
least recently used go first (an employee unknown to the directory is remembered as such).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.domain.days import tenant_zone
from services.checkin.store import DirectoryEmployee, DirectoryTenant, PolicyVersion
from services.runtime import sql
from services.runtime.lru import LRU

MAX_EMPLOYEES = 200_000
MAX_TENANTS = 10_000


@dataclass(frozen=True, slots=True)
class Employee:
    tenant: str
    nip: str
    unit_id: str
    active: bool


@dataclass(frozen=True, slots=True)
class Letter:
    """What a check-in's screening needs of one circular-letter version."""

    version: int
    valid_from: date
    valid_until: date | None
    effective_at: datetime
    timezone: str
    late_submission_limit_hours: int


@dataclass(frozen=True, slots=True)
class Tenant:
    timezone: str
    letters: tuple[Letter, ...]


@dataclass(frozen=True, slots=True)
class Context:
    """What the read models say about one submitter and their tenant."""

    employee: Employee
    timezone: str
    letters: Sequence[Letter]


class Directory:
    def __init__(self, max_employees: int = MAX_EMPLOYEES, max_tenants: int = MAX_TENANTS) -> None:
        self._employees: LRU[tuple[str, str], Employee | None] = LRU(max_employees)
        self._tenants: LRU[str, Tenant] = LRU(max_tenants)
        self._generation: int | None = None

    def __len__(self) -> int:
        return len(self._employees)

    async def contexts(self, session: AsyncSession, submitters: Iterable[tuple[str, str]],
                       generation: int) -> dict[tuple[str, str], Context | None]:
        """Each (tenant, NIP)'s context; None for a NIP the tenant's directory does not know.
        ``generation``: the read models' generation as this transaction read it."""
        if generation != self._generation:
            self._employees.clear()
            self._tenants.clear()
            self._generation = generation
        wanted = list(dict.fromkeys(submitters))
        employees: dict[tuple[str, str], Employee | None] = {}
        missing: list[tuple[str, str]] = []
        for key in wanted:
            if key in self._employees:
                employees[key] = self._employees.get(key)
            else:
                missing.append(key)
        if missing:
            loaded = await _employees(session, missing)
            for key in missing:
                employees[key] = loaded.get(key)
                self._employees.put(key, employees[key])
        tenants = await self._tenants_of(session, {t for (t, _), e in employees.items() if e is not None})
        return {key: Context(e, tenants[e.tenant].timezone, tenants[e.tenant].letters) if e is not None else None
                for key, e in employees.items()}

    async def _tenants_of(self, session: AsyncSession, names: set[str]) -> dict[str, Tenant]:
        found: dict[str, Tenant] = {}
        missing: list[str] = []
        for name in sorted(names):
            tenant = self._tenants.get(name)
            if tenant is not None:
                found[name] = tenant
            else:
                missing.append(name)
        if missing:
            zones = dict((await session.execute(
                select(DirectoryTenant.id, DirectoryTenant.timezone).where(DirectoryTenant.id.in_(missing)))).all())
            letters: dict[str, list[Letter]] = {name: [] for name in missing}
            for row in (await session.scalars(select(PolicyVersion).where(PolicyVersion.tenant.in_(missing)))):
                letters[row.tenant].append(Letter(row.version, row.valid_from, row.valid_until, row.effective_at,
                                                  row.timezone, row.late_submission_limit_hours))
            for name in missing:
                found[name] = Tenant(tenant_zone(zones.get(name), letters[name]), tuple(letters[name]))
                self._tenants.put(name, found[name])
        return found


async def _employees(session: AsyncSession, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Employee]:
    out: dict[tuple[str, str], Employee] = {}
    for chunk in sql.chunks(keys, 1000):
        rows = await session.execute(
            select(DirectoryEmployee.tenant, DirectoryEmployee.nip, DirectoryEmployee.unit_id,
                   DirectoryEmployee.active)
            .where(tuple_(DirectoryEmployee.tenant, DirectoryEmployee.nip).in_(list(chunk))))
        for tenant, nip, unit_id, active in rows:
            out[(tenant, nip)] = Employee(tenant, nip, unit_id, bool(active))
    return out
