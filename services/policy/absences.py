"""Absences (cuti, sakit, izin, dinas luar, tugas belajar): requested by the employee, decided by the
head of their unit and, when the letter in force on the first day asks for it, the BKD; cancelled by
the employee (rules: :mod:`.domain.absences`, who decides: :mod:`.domain.deciders`).

Guarantees: every change (request, decision, cancellation) raises the row's ``revision`` and stages
``absence.updated.v1`` with the whole new state in the same transaction (the outbox); the event
carries no reason, attachment or place. One employee's requests are checked one at a time (their
directory row is locked), so two overlapping requests never both pass; a decision or cancellation
locks the absence, so two decisions never both apply. Decisions stay on the row: who (subject and
NIP), when, the note.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.decisions import AbsenceUpdated
from services.contracts.policy import AbsenceKind, PolicyContent
from services.contracts.rules.absence import ABSENCE_NAMES, AbsenceStatus, excused_span, length_days, needs_bkd
from services.policy import day_requests
from services.policy.day_requests import actor_nip
from services.policy.decision_schemas import (
    AbsenceIn,
    AbsenceOut,
    AbsencePage,
    AlternativePlace,
    ExcusedDays,
    Names,
    PlaceName,
    decided,
)
from services.policy.domain import absences as rules
from services.policy.domain.deciders import Refused
from services.policy.privacy_schemas import DecisionIn
from services.policy.store import Absence
from services.runtime import errors, outbox, pages
from services.runtime.auth import Principal
from services.runtime.self_export import row_record
from services.runtime.service import ServiceRuntime

ABSENCE = errors.Text("Permohonan ketidakhadiran", "absence")
OVERLAP = Refused("absence_overlap", "Sudah ada permohonan ketidakhadiran pada sebagian hari ini",
                  "another absence already covers some of these days")
PLACE_ONLY_FOR_TRAVEL = Refused("place_not_allowed", "Tempat pengganti hanya untuk dinas luar",
                                "an alternative place is for official travel (dinas luar) only")


def out(row: Absence, *, coordinates: bool = False) -> AbsenceOut:
    """The absence as shown; an official trip's coordinates only with ``coordinates`` (the employee's own
    routes: the head and the BKD need the place's name, not where it is)."""
    kind = AbsenceKind(row.kind)
    indonesian, english = ABSENCE_NAMES[kind]
    place: AlternativePlace | PlaceName | None = None
    if row.place_name is not None and not coordinates:
        place = PlaceName(name=row.place_name, radius_m=row.place_radius_m)
    elif row.place_name is not None and row.place_latitude is not None and row.place_longitude is not None:
        place = AlternativePlace(name=row.place_name, latitude=row.place_latitude, longitude=row.place_longitude,
                                 radius_m=row.place_radius_m)
    excused = excused_span(row.status, row.start, row.end, row.cancelled_from)
    return AbsenceOut(
        id=row.id, employee_id=row.employee_id, unit_id=row.unit_id, kind=kind,
        kind_name=Names(id=indonesian, en=english), start=row.start, end=row.end,
        days=length_days(row.start, row.end), reason=row.reason, attachment_ref=row.attachment_ref, place=place,
        status=row.status, needs_bkd=row.needs_bkd,  # type: ignore[arg-type]
        head_decision=decided(row.head_by, row.head_nip, row.head_at, row.head_note),
        bkd_decision=decided(row.bkd_by, None, row.bkd_at, row.bkd_note),
        cancelled_at=row.cancelled_at, cancelled_from=row.cancelled_from,
        excused=ExcusedDays(start=excused.start, end=excused.end) if excused else None, revision=row.revision,
        created_at=row.created_at)


def event(row: Absence, now: datetime) -> AbsenceUpdated:
    """The whole state of ``row`` (no reason, attachment or place)."""
    note = row.bkd_note if row.bkd_at is not None else row.head_note
    return AbsenceUpdated(
        absence_id=row.id, employee_id=row.employee_id, unit_id=row.unit_id, kind=AbsenceKind(row.kind),
        start=row.start, end=row.end, status=row.status, needs_bkd=row.needs_bkd,  # type: ignore[arg-type]
        cancelled_from=row.cancelled_from, decision_note=note or None, revision=row.revision, at=now)


async def _changed(rt: ServiceRuntime, session: AsyncSession, row: Absence, now: datetime, *,
                   coordinates: bool = False) -> AbsenceOut:
    await session.flush()
    await outbox.stage(session, rt.outbox, event(row, now), tenant=row.tenant, source=rt.source)
    return out(row, coordinates=coordinates)


async def request(rt: ServiceRuntime, session: AsyncSession, tenant: str, nip: str, body: AbsenceIn,
                  now: datetime) -> AbsenceOut:
    """File ``body`` for employee ``nip`` (the caller): 422 bad days or place, 409 overlapping, 404 unknown."""
    employee = await day_requests.employee(session, tenant, nip)
    today = await day_requests.today(session, tenant, now)
    problem = rules.span_problem(body.start, body.end, today)
    if problem is not None:
        field, refused = problem
        raise day_requests.invalid(("body", field), refused)
    if body.place is not None and body.kind != AbsenceKind.DINAS_LUAR:
        raise day_requests.invalid(("body", "place"), PLACE_ONLY_FOR_TRAVEL)
    overlapping = await session.scalar(select(Absence.id).where(
        Absence.tenant == tenant, Absence.employee_id == nip, Absence.status.in_(rules.OPEN),
        Absence.start <= body.end, Absence.end >= body.start).limit(1))
    if overlapping is not None:
        raise day_requests.conflict(OVERLAP)
    content = await day_requests.letter_on(session, tenant, body.start) or PolicyContent()
    place = body.place
    row = Absence(
        id=uuid.uuid4(), tenant=tenant, employee_id=nip, unit_id=employee.unit_id, kind=body.kind.value,
        start=body.start, end=body.end, reason=body.reason, attachment_ref=body.attachment_ref,
        status="requested", needs_bkd=needs_bkd(body.kind, body.start, body.end, content),
        place_name=place.name if place else None, place_latitude=place.latitude if place else None,
        place_longitude=place.longitude if place else None, place_radius_m=place.radius_m if place else None,
        revision=1, created_at=now)
    session.add(row)
    return await _changed(rt, session, row, now, coordinates=True)


async def one(session: AsyncSession, tenant: str, absence_id: uuid.UUID, *, lock: bool = False) -> Absence:
    """The tenant's absence ``absence_id``; 404 when there is none."""
    query = select(Absence).where(Absence.tenant == tenant, Absence.id == absence_id)
    row = await session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise errors.not_found(ABSENCE)
    return row


async def page(session: AsyncSession, tenant: str, *, employee_id: str | None = None, unit_id: str | None = None,
               status: AbsenceStatus | None = None, since: date | None = None, until: date | None = None,
               after: str | None = None, limit: int = 100, coordinates: bool = False) -> AbsencePage:
    """The tenant's absences (of one employee, unit, status; touching ``since``..``until``), newest first;
    trips' coordinates only with ``coordinates`` (the employee's own list)."""
    query: Select[Any] = select(Absence).where(Absence.tenant == tenant)
    if employee_id is not None:
        query = query.where(Absence.employee_id == employee_id)
    if unit_id is not None:
        query = query.where(Absence.unit_id == unit_id)
    if status is not None:
        query = query.where(Absence.status == status)
    if since is not None:
        query = query.where(Absence.end >= since)
    if until is not None:
        query = query.where(Absence.start <= until)
    rows, next_after = await pages.newest_first(session, query, Absence.created_at, Absence.id, after, limit)
    return AbsencePage(items=[out(r, coordinates=coordinates) for r in rows], next_after=next_after)


async def decide(rt: ServiceRuntime, session: AsyncSession, tenant: str, absence_id: uuid.UUID, body: DecisionIn,
                 principal: Principal, now: datetime) -> AbsenceOut:
    """The head's or the BKD's decision on a pending absence; 403 not theirs to take, 409 not pending."""
    row = await one(session, tenant, absence_id, lock=True)
    day_requests.check_decider(principal, rules.step_of(row.status) or "head", row.unit_id, row.employee_id)
    outcome = rules.decide(row.status, row.needs_bkd, body.decision, body.note)
    if isinstance(outcome, Refused):
        if outcome.kind == "note_required":
            raise day_requests.invalid(("body", "note"), outcome)
        raise day_requests.conflict(outcome)
    note = body.note.strip() or None
    if outcome.step == "head":
        row.head_by, row.head_nip, row.head_at, row.head_note = principal.subject[:200], actor_nip(principal), now, note
    else:
        row.bkd_by, row.bkd_at, row.bkd_note = principal.subject[:200], now, note
    row.status = outcome.status
    row.revision += 1
    return await _changed(rt, session, row, now)


async def cancel(rt: ServiceRuntime, session: AsyncSession, tenant: str, nip: str, absence_id: uuid.UUID,
                 now: datetime) -> AbsenceOut:
    """The employee ``nip`` cancels their own absence; 404 not theirs, 409 not cancellable."""
    row = await one(session, tenant, absence_id, lock=True)
    if row.employee_id != nip:
        raise errors.not_found(ABSENCE)
    after = rules.cancel(row.status, row.start, row.end, await day_requests.today(session, tenant, now))
    if isinstance(after, Refused):
        raise day_requests.conflict(after)
    row.status, row.cancelled_from = after
    row.cancelled_at = now
    row.revision += 1
    return await _changed(rt, session, row, now, coordinates=True)


async def of_employee(session: AsyncSession, tenant: str, nip: str, zone: str) -> list[dict[str, Any]]:
    """Every absence of one employee with everything kept on it, newest first (their self-export)."""
    rows = await session.scalars(select(Absence).where(Absence.tenant == tenant, Absence.employee_id == nip)
                                 .order_by(Absence.created_at.desc(), Absence.id.desc()))
    return [row_record(r, zone) for r in rows]


async def excusing(session: AsyncSession, people: Collection[tuple[str, str]], first: date,
                   last: date) -> list[Absence]:
    """The absences of ``people`` ((tenant, NIP)) that may excuse a day in ``first``..``last``
    (approved or cancelled, touching the range; one query; filter with ``excused_span``)."""
    if not people:
        return []
    return list((await session.scalars(select(Absence).where(
        tuple_(Absence.tenant, Absence.employee_id).in_(list(people)),
        Absence.status.in_(("approved", "cancelled")), Absence.start <= last, Absence.end >= first))).all())
