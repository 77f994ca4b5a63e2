"""Queries on the reporting read models shared by the scheduler and the reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import PolicyContent
from services.contracts.rules.versions import for_day
from services.reporting.expectations import Person, UnitFacts, resolve_sectors
from services.reporting.ledger import Fact, LedgerRow
from services.reporting.store import (
    Employee,
    Evaluation,
    Expectation,
    PolicyVersion,
    RosterDay,
    Unit,
    UnitDay,
    Verification,
    WindowClosure,
)

QUALIFYING = ("on_time", "late")


def aware(instant: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; make them aware."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def effective_at(version: PolicyVersion) -> datetime:
    return aware(version.effective_at)


async def policy_for_day(session: AsyncSession, tenant: str, day: date) -> PolicyVersion | None:
    """The version that applies to ``day`` (:func:`services.contracts.rules.versions.for_day`)."""
    return for_day(await session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.tenant == tenant, PolicyVersion.valid_from <= day,
               or_(PolicyVersion.valid_until.is_(None), PolicyVersion.valid_until >= day))), day)


async def people(session: AsyncSession, tenant: str, unit_id: str | None = None) -> list[Person]:
    e = Employee.__table__.c
    query = select(e.nip, e.unit_id, e.active, e.is_teacher, e.is_front_line, e.is_unit_head, e.name).where(
        e.tenant == tenant)
    if unit_id:
        query = query.where(e.unit_id == unit_id)
    rows = await session.execute(query)
    return [Person(nip=r[0], unit_id=r[1], active=bool(r[2]), is_teacher=bool(r[3]), is_front_line=bool(r[4]),
                   is_unit_head=bool(r[5]), name=r[6]) for r in rows]


async def units(session: AsyncSession, tenant: str) -> dict[str, Unit]:
    rows = await session.scalars(select(Unit).where(Unit.tenant == tenant))
    return {u.id: u for u in rows}


async def unit_sectors(session: AsyncSession, tenant: str, content: PolicyContent) -> dict[str, str]:
    """Every unit's sector under the letter ``content`` (see :func:`.expectations.resolve_sectors`)."""
    rows = await session.execute(select(Unit.id, Unit.parent_id, Unit.sector, Unit.effective_sector)
                                 .where(Unit.tenant == tenant))
    return resolve_sectors([UnitFacts(*r) for r in rows], content)


async def roster_modes(session: AsyncSession, tenant: str, day: date) -> dict[str, str]:
    rows = await session.execute(select(RosterDay.nip, RosterDay.mode).where(
        RosterDay.tenant == tenant, RosterDay.day == day))
    return {nip: mode for nip, mode in rows}


async def window_facts(session: AsyncSession, tenant: str, day: date, window_id: str) -> dict[str, Fact]:
    """The qualifying evaluations of a window folded per employee (see :mod:`.ledger`)."""
    ev = Evaluation.__table__.c
    one = lambda cond: func.max(case((cond, 1), else_=0))  # noqa: E731
    rows = await session.execute(
        select(ev.nip, one(ev.status == "on_time"), one(ev.status == "late"),
               func.min(case((ev.status == "late", ev.late_minutes), else_=None)),
               one(ev.geofence == "outside"), one(ev.suspicious), func.min(ev.captured_at))
        .where(ev.tenant == tenant, ev.local_date == day, ev.window_id == window_id, ev.status.in_(QUALIFYING))
        .group_by(ev.nip)
    )
    return {r[0]: Fact(nip=r[0], on_time=bool(r[1]), late=bool(r[2]), late_minutes=int(r[3] or 0),
                       outside_geofence=bool(r[4]), suspicious=bool(r[5]), checkin_at=r[6]) for r in rows}


async def closures(session: AsyncSession, tenant: str, day: date, phase: str = "overdue") -> dict[str, WindowClosure]:
    rows = await session.scalars(select(WindowClosure).where(
        WindowClosure.tenant == tenant, WindowClosure.day == day, WindowClosure.phase == phase))
    return {c.window_id: c for c in rows}


async def closed_counts(session: AsyncSession, tenant: str, day: date, unit_id: str | None = None):  # type: ignore[no-untyped-def]
    """Ledger counts of closed windows: (window, unit, status, n, outside, suspicious) rows."""
    x = Expectation.__table__.c
    query = (
        select(x.window_id, x.unit_id, x.status, func.count(),
               func.sum(case((x.outside_geofence, 1), else_=0)), func.sum(case((x.suspicious, 1), else_=0)))
        .where(x.tenant == tenant, x.day == day)
        .group_by(x.window_id, x.unit_id, x.status)
    )
    if unit_id:
        query = query.where(x.unit_id == unit_id)
    return (await session.execute(query)).all()


async def ledger_rows(session: AsyncSession, tenant: str, day: date, window_ids: Sequence[str],
                      unit_id: str | None = None) -> list[LedgerRow]:
    """The ledger of closed windows, with employee names, for exports."""
    if not window_ids:
        return []
    x = Expectation.__table__.c
    e = Employee.__table__.c
    query = (
        select(x.window_id, x.nip, x.unit_id, x.sector, x.status, x.late_minutes, x.outside_geofence,
               x.suspicious, x.checkin_at, x.overdue, e.name)
        .select_from(Expectation.__table__.outerjoin(Employee.__table__, (e.tenant == x.tenant) & (e.nip == x.nip)))
        .where(x.tenant == tenant, x.day == day, x.window_id.in_(list(window_ids)))
        .order_by(x.unit_id, x.nip, x.window_id)
    )
    if unit_id:
        query = query.where(x.unit_id == unit_id)
    return [LedgerRow(window_id=r[0], nip=r[1], unit_id=r[2], sector=r[3], status=r[4], late_minutes=r[5],
                      outside_geofence=bool(r[6]), suspicious=bool(r[7]), checkin_at=r[8], overdue=bool(r[9]),
                      name=r[10] or "") for r in await session.execute(query)]


async def unit_days(session: AsyncSession, tenant: str, day: date) -> dict[str, UnitDay]:
    rows = await session.scalars(select(UnitDay).where(UnitDay.tenant == tenant, UnitDay.day == day))
    return {u.unit_id: u for u in rows}


async def verifications(session: AsyncSession, tenant: str, day: date) -> dict[str, Verification]:
    rows = await session.scalars(select(Verification).where(Verification.tenant == tenant, Verification.day == day))
    return {v.unit_id: v for v in rows}
