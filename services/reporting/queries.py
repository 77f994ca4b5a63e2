"""Queries on the reporting read models and the ledger: facts for the pure builders.

Each returns rows or plain values; nothing here decides how anyone did (that is
:mod:`.domain.ledger`) or which windows a day has (:mod:`.domain.windows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.contracts.policy import PolicyContent
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.versions import for_day
from services.reporting import presence
from services.reporting.domain.decisions import DayDecisions, merge_corrections
from services.reporting.domain.expectations import Person, UnitFacts, resolve_sectors
from services.reporting.domain.ledger import QUALIFYING, Fact, LedgerRow, merge, verdict
from services.reporting.domain.national import NationalFacts, TenantInfo
from services.reporting.domain.watermark import Mark
from services.reporting.store import (
    Absence,
    AuditEntry,
    Correction,
    Employee,
    EvaluatedMark,
    Evaluation,
    Expectation,
    PolicyVersion,
    Review,
    RosterDay,
    SignOffReview,
    Tenant,
    Unit,
    UnitDay,
    Verification,
    WindowClosure,
)
from services.runtime import pages


async def versions_for_day(session: AsyncSession, tenant: str, day: date) -> list[PolicyVersion]:
    """The versions whose range covers ``day`` (which applies when: :mod:`.domain.windows`)."""
    return list((await session.scalars(
        select(PolicyVersion)
        .where(PolicyVersion.tenant == tenant, PolicyVersion.valid_from <= day,
               or_(PolicyVersion.valid_until.is_(None), PolicyVersion.valid_until >= day)))).all())


async def policy_for_day(session: AsyncSession, tenant: str, day: date) -> PolicyVersion | None:
    """The version of ``day`` (:func:`services.contracts.rules.versions.for_day`)."""
    return for_day(await versions_for_day(session, tenant, day), day)


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


def counted_verdicts() -> ColumnElement[bool]:
    """Verdicts that can fill a window: qualifying, and their check-in not returned by a review."""
    ev, rv = Evaluation.__table__.c, Review.__table__.c
    returned = select(rv.checkin_id).where(rv.tenant == ev.tenant, rv.checkin_id == ev.checkin_id,
                                           rv.decision == "returned")
    return and_(ev.status.in_(QUALIFYING), ~returned.exists())


def fold_verdicts(rows: Iterable[Any]) -> dict[Any, Fact]:
    """(key, status, minutes, geofence, suspicious, captured_at) rows folded per key by :mod:`.domain.ledger`."""
    facts: dict[Any, Fact] = {}
    for key, status, minutes, geofence, suspicious, captured_at in rows:
        folded = merge(facts.get(key), verdict(status, minutes or 0, geofence == "outside", bool(suspicious),
                                               captured_at))
        if folded is not None:
            facts[key] = folded
    return facts


async def window_facts(session: AsyncSession, tenant: str, day: date, window_id: str) -> dict[str, Fact]:
    """The verdicts that fill a window (:func:`counted_verdicts`), folded per employee."""
    ev = Evaluation.__table__.c
    return fold_verdicts(await session.execute(
        select(ev.nip, ev.status, ev.late_minutes, ev.geofence, ev.suspicious, ev.captured_at)
        .where(ev.tenant == tenant, ev.local_date == day, ev.window_id == window_id, counted_verdicts())))


def calendar_of(tenant: Tenant) -> TenantCalendar | None:
    """The tenant's calendar as the directory last sent it (None: the national calendar)."""
    return TenantCalendar.model_validate(tenant.calendar) if tenant.calendar else None


async def day_decisions(session: AsyncSession, tenant: str, day: date) -> DayDecisions:
    """The absences excusing ``day`` and the approved corrections of its windows."""
    a = Absence.__table__.c
    absences = await session.execute(
        select(a.nip, a.kind).where(a.tenant == tenant, a.excused_start <= day, a.excused_end >= day)
        .order_by(a.nip, a.start, a.absence_id))
    c = Correction.__table__.c
    corrections = await session.execute(
        select(c.window_id, c.nip, c.contested, c.at)
        .where(c.tenant == tenant, c.local_date == day, c.status == "approved"))
    found: dict[str, str] = {}
    for nip, kind in absences:
        found.setdefault(nip, kind)
    return DayDecisions(absences=found, corrections=merge_corrections(corrections.all()))  # type: ignore[arg-type]


async def closures(session: AsyncSession, tenant: str, day: date, phase: str = "overdue") -> dict[str, WindowClosure]:
    rows = await session.scalars(select(WindowClosure).where(
        WindowClosure.tenant == tenant, WindowClosure.day == day, WindowClosure.phase == phase))
    return {c.window_id: c for c in rows}


def tally() -> tuple[ColumnElement, ...]:
    """Aggregates of a group of ledger rows: how many, how many outside the geofence, how many suspicious."""
    x = Expectation.__table__.c
    return func.count(), func.sum(case((x.outside_geofence, 1), else_=0)), func.sum(case((x.suspicious, 1), else_=0))


async def closed_counts(session: AsyncSession, tenant: str, day: date, unit_id: str | None = None):  # type: ignore[no-untyped-def]
    """Ledger counts of closed windows: (window, unit, status, n, outside, suspicious, corrected) rows."""
    x = Expectation.__table__.c
    query = (
        select(x.window_id, x.unit_id, x.status, *tally(),
               func.sum(case((x.original_status.is_not(None), 1), else_=0)))
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
               x.suspicious, x.checkin_at, x.overdue, e.name, x.absence_kind, x.original_status,
               x.original_late_minutes, x.original_outside_geofence, x.corrected_at)
        .select_from(Expectation.__table__.outerjoin(Employee.__table__, (e.tenant == x.tenant) & (e.nip == x.nip)))
        .where(x.tenant == tenant, x.day == day, x.window_id.in_(list(window_ids)))
        .order_by(x.unit_id, x.nip, x.window_id)
    )
    if unit_id:
        query = query.where(x.unit_id == unit_id)
    return [LedgerRow(window_id=r[0], nip=r[1], unit_id=r[2], sector=r[3], status=r[4], late_minutes=r[5],
                      outside_geofence=bool(r[6]), suspicious=bool(r[7]), checkin_at=r[8], overdue=bool(r[9]),
                      name=r[10] or "", absence_kind=r[11], original_status=r[12], original_late_minutes=r[13],
                      original_outside_geofence=r[14], corrected_at=r[15]) for r in await session.execute(query)]


async def revisions(session: AsyncSession, tenant: str, day: date) -> dict[str, datetime]:
    """Per unit, when a row of ``day`` last changed after its window closed (a decision, a late verdict)."""
    x = Expectation.__table__.c
    rows = await session.execute(select(x.unit_id, func.max(x.revised_at))
                                 .where(x.tenant == tenant, x.day == day, x.revised_at.is_not(None))
                                 .group_by(x.unit_id))
    return {unit_id: at for unit_id, at in rows}


async def unit_days(session: AsyncSession, tenant: str, day: date) -> dict[str, UnitDay]:
    rows = await session.scalars(select(UnitDay).where(UnitDay.tenant == tenant, UnitDay.day == day))
    return {u.unit_id: u for u in rows}


async def verifications(session: AsyncSession, tenant: str, day: date) -> dict[str, Verification]:
    rows = await session.scalars(select(Verification).where(Verification.tenant == tenant, Verification.day == day))
    return {v.unit_id: v for v in rows}


async def overdue(session: AsyncSession, tenant: str, day: date, unit_id: str | None = None) -> list[Expectation]:
    """The ledger rows of ``day`` whose employee got a ``report.overdue``."""
    query = select(Expectation).where(Expectation.tenant == tenant, Expectation.day == day,
                                      Expectation.overdue.is_(True))
    if unit_id:
        query = query.where(Expectation.unit_id == unit_id)
    return list((await session.scalars(query.order_by(Expectation.window_id, Expectation.nip))).all())


async def audit_trail(session: AsyncSession, tenant: str, after: str | None,
                      limit: int) -> tuple[Sequence[AuditEntry], str | None]:
    """A page of the tenant's audit entries, newest first, and the next page's cursor."""
    return await pages.newest_first(session, select(AuditEntry).where(AuditEntry.tenant == tenant),
                                    AuditEntry.at, AuditEntry.id, after, limit)


async def daily_trend(session: AsyncSession, tenant: str, first: date, after: date, unit_id: str | None = None):  # type: ignore[no-untyped-def]
    """Ledger counts per day in ``first..after`` (exclusive): (day, status, n, outside, suspicious) rows."""
    x = Expectation.__table__.c
    query = (select(x.day, x.status, *tally())
             .where(x.tenant == tenant, x.day >= first, x.day < after)
             .group_by(x.day, x.status).order_by(x.day))
    if unit_id:
        query = query.where(x.unit_id == unit_id)
    return (await session.execute(query)).all()


async def national_facts(session: AsyncSession, day: date) -> NationalFacts:
    """Every tenant's ledger and in-office snapshots of ``day``, grouped per tenant and sector."""
    tenants = {t.id: TenantInfo(t.name, t.kind, t.timezone)
               for t in await session.scalars(select(Tenant).order_by(Tenant.id))}
    x = Expectation.__table__.c
    counted = await session.execute(
        select(x.tenant, x.sector, x.status, *tally()).where(x.day == day).group_by(x.tenant, x.sector, x.status))
    u = UnitDay.__table__.c
    offices = await session.execute(
        select(u.tenant, u.sector, func.count(), func.sum(u.headcount), func.sum(u.wfo), func.max(u.quota_pct),
               func.sum(case((u.wfo * 100 >= u.headcount * u.quota_pct, 1), else_=0)))
        .where(u.day == day).group_by(u.tenant, u.sector))
    w = WindowClosure.__table__.c
    closed: dict[str, int] = dict((await session.execute(
        select(w.tenant, func.count()).where(w.day == day, w.phase == "overdue").group_by(w.tenant))).all())
    v, r = Verification.__table__.c, SignOffReview.__table__.c
    verified: dict[str, int] = dict((await session.execute(  # a day the BKD returned is not verified
        select(v.tenant, func.count())
        .select_from(Verification.__table__.outerjoin(
            SignOffReview.__table__, (r.tenant == v.tenant) & (r.day == v.day) & (r.unit_id == v.unit_id)))
        .where(v.day == day, or_(r.decision.is_(None), r.decision != "returned")).group_by(v.tenant))).all())
    return NationalFacts(tenants=tenants, counted=counted.all(), offices=offices.all(), closed=closed,  # type: ignore[arg-type]
                         verified=verified, quota_units=await presence.national_units(session, day))  # type: ignore[arg-type]


async def evaluated_marks(session: AsyncSession) -> list[Mark]:
    """Every stored watermark mark (one per pair of partitions: a few dozen rows)."""
    return [Mark(m.partition, m.partitions, m.source_partition, m.source_partitions, m.accepted_until)
            for m in await session.scalars(select(EvaluatedMark))]
