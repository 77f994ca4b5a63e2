"""Evaluation of every ``checkin.received`` into ``checkin.evaluated``.

Gathers the facts (tenant zone, employee, the policy version in force at the
capture time, the previous location) and hands them to the pure domain code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.events import CheckinEvaluated, CheckinReceived
from services.contracts.policy import PolicyContent, Sector, local_date
from services.policy.domain.evaluation import PreviousFix, evaluate
from services.policy.records import employee_record
from services.policy.store import Employee, LastFix, PolicyVersion, Tenant, Unit
from services.runtime.service import ServiceRuntime

DEFAULT_ZONE = "Asia/Jakarta"


async def version_in_force(session: AsyncSession, tenant: str, captured_at: datetime, tz: str) -> PolicyVersion | None:
    """The newest version that had taken effect at ``captured_at`` and covers that day;
    a check-in older than every version falls back to the first version covering its day."""
    day = local_date(captured_at, tz)
    covering = select(PolicyVersion).where(
        PolicyVersion.tenant == tenant,
        PolicyVersion.valid_from <= day,
        or_(PolicyVersion.valid_until.is_(None), PolicyVersion.valid_until >= day),
    )
    in_force = await session.scalar(
        covering.where(PolicyVersion.effective_at <= captured_at)
        .order_by(PolicyVersion.effective_at.desc(), PolicyVersion.version.desc()).limit(1)
    )
    if in_force is not None:
        return in_force
    return await session.scalar(covering.order_by(PolicyVersion.effective_at).limit(1))


def make_handler(rt: ServiceRuntime):  # type: ignore[no-untyped-def]
    async def on_checkin_received(session: AsyncSession, envelope: Envelope, event: CheckinReceived) -> None:
        tenant = envelope.tenant
        verdict = await judge(session, tenant, event)
        await rt.stage(session, verdict, tenant=tenant, traceparent=envelope.traceparent)

    return on_checkin_received


async def judge(session: AsyncSession, tenant: str, event: CheckinReceived) -> CheckinEvaluated:
    tenant_row = await session.get(Tenant, tenant)
    tz = tenant_row.timezone if tenant_row else DEFAULT_ZONE
    employee = await session.get(Employee, (tenant, event.employee_id))
    version = await version_in_force(session, tenant, event.captured_at, tz)
    unit = await session.get(Unit, (tenant, employee.unit_id)) if employee else None
    fix = await session.get(LastFix, (tenant, event.employee_id))
    previous = PreviousFix(fix.captured_at, fix.latitude, fix.longitude) if fix else None
    verdict = evaluate(
        event,
        content=PolicyContent.model_validate(version.content) if version else PolicyContent(windows=[]),
        timezone=tz,
        employee=employee_record(employee) if employee else None,
        unit_sector=Sector(unit.effective_sector) if unit else None,
        work_mode=None,
        previous=previous,
        policy_number=version.number if version else None,
        policy_version=version.version if version else None,
    )
    if event.location is not None and (fix is None or event.captured_at >= fix.captured_at):
        await session.merge(LastFix(tenant=tenant, nip=event.employee_id, captured_at=event.captured_at,
                                    latitude=event.location.latitude, longitude=event.location.longitude))
    return verdict
