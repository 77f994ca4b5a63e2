"""Queries on the reporting read models shared by the scheduler and the reports."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.expectations import Person
from services.reporting.store import Employee, Evaluation, PolicyVersion, RosterDay

QUALIFYING = ("on_time", "late")


async def policy_for_day(session: AsyncSession, tenant: str, day: date) -> PolicyVersion | None:
    """The newest version covering ``day``."""
    return await session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.tenant == tenant, PolicyVersion.valid_from <= day,
               or_(PolicyVersion.valid_until.is_(None), PolicyVersion.valid_until >= day))
        .order_by(PolicyVersion.effective_at.desc(), PolicyVersion.version.desc())
        .limit(1)
    )


async def people(session: AsyncSession, tenant: str, unit_id: str | None = None) -> list[Person]:
    query = select(Employee).where(Employee.tenant == tenant)
    if unit_id:
        query = query.where(Employee.unit_id == unit_id)
    return [
        Person(nip=e.nip, unit_id=e.unit_id, active=e.active, is_teacher=e.is_teacher,
               is_front_line=e.is_front_line)
        for e in await session.scalars(query)
    ]


async def roster_modes(session: AsyncSession, tenant: str, day: date) -> dict[str, str]:
    rows = await session.execute(select(RosterDay.nip, RosterDay.mode).where(
        RosterDay.tenant == tenant, RosterDay.day == day))
    return {nip: mode for nip, mode in rows}


async def checked_in(session: AsyncSession, tenant: str, day: date, window_id: str) -> set[str]:
    """Employees with a qualifying (on time or late) check-in for the window."""
    rows = await session.scalars(select(Evaluation.nip).where(
        Evaluation.tenant == tenant, Evaluation.local_date == day, Evaluation.window_id == window_id,
        Evaluation.status.in_(QUALIFYING)).distinct())
    return set(rows)
