"""Evaluation of every ``checkin.received`` into ``checkin.evaluated`` (the handler
that stages it: :mod:`.handlers`).

Gathers the facts (tenant zone, employee, the policy version in force at the
capture time, the unit's sector, the roster's work mode for the capture day, the
previous location) and hands them to the pure domain code
(:func:`.domain.evaluation.evaluate`); the only write is the employee's last fix.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import CheckinEvaluated, CheckinReceived
from services.contracts.policy import PolicyContent, Sector, local_date
from services.contracts.rules.sectors import resolve
from services.contracts.rules.versions import at_capture, until_as_known_at
from services.policy.domain.evaluation import PreviousFix, evaluate
from services.policy.letters import tenant_versions
from services.policy.records import employee_record
from services.policy.rosters import mode_on
from services.policy.store import Employee, LastFix, PolicyVersion, Tenant, Unit

DEFAULT_ZONE = "Asia/Jakarta"


async def version_in_force(session: AsyncSession, tenant: str, captured_at: datetime, tz: str) -> PolicyVersion | None:
    """The version that applied to the capture day *as known at* ``captured_at``
    (``contracts.rules.versions.at_capture``, ranges as they stood then): a later
    amendment, even one that closed this version retroactively, does not change the
    verdict. A check-in older than every version falls back to the first version
    covering its day."""
    day = local_date(captured_at, tz)
    versions = await tenant_versions(session, tenant, day, day)
    return at_capture(versions, day, captured_at, until_as_known_at)


async def unit_sector(session: AsyncSession, tenant: str, unit_id: str, content: PolicyContent) -> Sector:
    """The unit's sector, the letter's mapping first, inherited up the unit tree
    (``contracts.rules.sectors``; a unit the directory does not hold: the letter's, else the default)."""
    parents: dict[str, str | None] = {}
    own: dict[str, Sector | None] = {}
    current: str | None = unit_id
    while current is not None and current not in parents:
        unit = await session.get(Unit, (tenant, current))
        if unit is None:
            break
        parents[current] = unit.parent_id
        own[current] = Sector(unit.sector) if unit.sector else None
        current = unit.parent_id
    return resolve(unit_id, parents, own, content.unit_sectors)


async def judge(session: AsyncSession, tenant: str, event: CheckinReceived) -> CheckinEvaluated:
    """The verdict on ``event``; remembers its location as the employee's last fix if it is the latest."""
    tenant_row = await session.get(Tenant, tenant)
    tz = tenant_row.timezone if tenant_row else DEFAULT_ZONE
    employee = await session.get(Employee, (tenant, event.employee_id))
    version = await version_in_force(session, tenant, event.captured_at, tz)
    content = PolicyContent.model_validate(version.content) if version else PolicyContent(windows=[])
    sector = await unit_sector(session, tenant, employee.unit_id, content) if employee else None
    fix = await session.get(LastFix, (tenant, event.employee_id))
    previous = PreviousFix(fix.captured_at, fix.latitude, fix.longitude) if fix else None
    mode = await mode_on(session, tenant, event.employee_id, local_date(event.captured_at, tz))
    verdict = evaluate(
        event,
        content=content,
        timezone=tz,
        employee=employee_record(employee) if employee else None,
        unit_sector=sector,
        work_mode=mode,
        previous=previous,
        policy_number=version.number if version else None,
        policy_version=version.version if version else None,
    )
    if event.location is not None and (fix is None or event.captured_at >= fix.captured_at):
        await session.merge(LastFix(tenant=tenant, nip=event.employee_id, captured_at=event.captured_at,
                                    latitude=event.location.latitude, longitude=event.location.longitude))
    return verdict
