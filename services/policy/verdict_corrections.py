"""Contested verdicts: an employee contests one window's verdict on one day (missed, late, outside
the geofence) with an explanation; the head of their unit or the BKD approves or rejects it (rules:
:mod:`.domain.verdict_corrections`; what an approval changes in reports:
:mod:`services.contracts.rules.verdict_corrections`).

Guarantees: at most one open request per employee, day and window (a second is a 409; a partial
unique index holds it under concurrency too); a request is decided once (the row is locked); every
change raises ``revision`` and stages ``correction.updated.v1`` in the same transaction, without the
explanation. The row keeps who decided (subject and NIP), when and the note.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.decisions import CorrectionUpdated
from services.contracts.rules.verdict_corrections import CorrectionStatus
from services.policy import day_requests
from services.policy.day_requests import actor_nip
from services.policy.decision_schemas import VerdictCorrectionIn, VerdictCorrectionOut, VerdictCorrectionPage, decided
from services.policy.domain import verdict_corrections as rules
from services.policy.domain.deciders import Refused
from services.policy.privacy_schemas import DecisionIn
from services.policy.store import VerdictCorrection
from services.runtime import errors, outbox, pages
from services.runtime.auth import Principal
from services.runtime.self_export import row_record
from services.runtime.service import ServiceRuntime

CORRECTION = errors.Text("Permohonan koreksi status", "verdict correction")
ALREADY_OPEN = Refused("correction_pending", "Koreksi untuk jendela ini pada hari itu masih menunggu keputusan",
                       "a correction of this window on that day is already waiting for a decision")


def out(row: VerdictCorrection) -> VerdictCorrectionOut:
    return VerdictCorrectionOut(
        id=row.id, employee_id=row.employee_id, unit_id=row.unit_id, local_date=row.local_date,
        window_id=row.window_id, checkin_id=row.checkin_id, contested=row.contested,  # type: ignore[arg-type]
        explanation=row.explanation, status=row.status,  # type: ignore[arg-type]
        decision=decided(row.decided_by, row.decided_nip, row.decided_at, row.decision_note),
        revision=row.revision, created_at=row.created_at)


def event(row: VerdictCorrection, now: datetime) -> CorrectionUpdated:
    """The whole state of ``row`` (no explanation)."""
    return CorrectionUpdated(
        correction_id=row.id, employee_id=row.employee_id, unit_id=row.unit_id, local_date=row.local_date,
        window_id=row.window_id, checkin_id=row.checkin_id, contested=row.contested,  # type: ignore[arg-type]
        status=row.status, decision_note=row.decision_note, revision=row.revision, at=now)  # type: ignore[arg-type]


async def _changed(rt: ServiceRuntime, session: AsyncSession, row: VerdictCorrection,
                   now: datetime) -> VerdictCorrectionOut:
    await session.flush()
    await outbox.stage(session, rt.outbox, event(row, now), tenant=row.tenant, source=rt.source)
    return out(row)


async def request(rt: ServiceRuntime, session: AsyncSession, tenant: str, nip: str, body: VerdictCorrectionIn,
                  now: datetime) -> VerdictCorrectionOut:
    """File ``body`` for employee ``nip`` (the caller): 422 bad day or window, 409 one already open."""
    employee = await day_requests.employee(session, tenant, nip)
    content = await day_requests.letter_on(session, tenant, body.local_date)
    windows = {w.id for w in content.windows} if content is not None else set()
    problem = rules.request_problem(body.local_date, body.window_id, windows,
                                    await day_requests.today(session, tenant, now))
    if problem is not None:
        field, refused = problem
        raise day_requests.invalid(("body", field), refused)
    open_one = await session.scalar(select(VerdictCorrection.id).where(
        VerdictCorrection.tenant == tenant, VerdictCorrection.employee_id == nip,
        VerdictCorrection.local_date == body.local_date, VerdictCorrection.window_id == body.window_id,
        VerdictCorrection.status == "requested"))
    if open_one is not None:
        raise day_requests.conflict(ALREADY_OPEN)
    row = VerdictCorrection(
        id=uuid.uuid4(), tenant=tenant, employee_id=nip, unit_id=employee.unit_id, local_date=body.local_date,
        window_id=body.window_id, checkin_id=body.checkin_id, contested=body.contested,
        explanation=body.explanation, status="requested", revision=1, created_at=now)
    session.add(row)
    return await _changed(rt, session, row, now)


async def page(session: AsyncSession, tenant: str, *, employee_id: str | None = None, unit_id: str | None = None,
               status: CorrectionStatus | None = None, after: str | None = None,
               limit: int = 100) -> VerdictCorrectionPage:
    """The tenant's contested verdicts (of one employee, unit, status), newest first."""
    query: Select[Any] = select(VerdictCorrection).where(VerdictCorrection.tenant == tenant)
    if employee_id is not None:
        query = query.where(VerdictCorrection.employee_id == employee_id)
    if unit_id is not None:
        query = query.where(VerdictCorrection.unit_id == unit_id)
    if status is not None:
        query = query.where(VerdictCorrection.status == status)
    rows, next_after = await pages.newest_first(session, query, VerdictCorrection.created_at, VerdictCorrection.id,
                                                after, limit)
    return VerdictCorrectionPage(items=[out(r) for r in rows], next_after=next_after)


async def decide(rt: ServiceRuntime, session: AsyncSession, tenant: str, correction_id: uuid.UUID,
                 body: DecisionIn, principal: Principal, now: datetime) -> VerdictCorrectionOut:
    """The head's or the BKD's decision; 404 unknown, 403 not theirs to take, 409 already decided."""
    row = await session.scalar(select(VerdictCorrection).where(
        VerdictCorrection.tenant == tenant, VerdictCorrection.id == correction_id).with_for_update())
    if row is None:
        raise errors.not_found(CORRECTION)
    day_requests.check_decider(principal, "head", row.unit_id, row.employee_id)
    after = rules.decide(row.status, body.decision, body.note)
    if isinstance(after, Refused):
        if after.kind == "note_required":
            raise day_requests.invalid(("body", "note"), after)
        raise day_requests.conflict(after)
    row.status = after
    row.decided_by, row.decided_nip, row.decided_at = principal.subject[:200], actor_nip(principal), now
    row.decision_note = body.note.strip() or None
    row.revision += 1
    return await _changed(rt, session, row, now)


async def of_employee(session: AsyncSession, tenant: str, nip: str, zone: str) -> list[dict[str, Any]]:
    """Every contested verdict of one employee with its decision, newest first (their self-export)."""
    rows = await session.scalars(select(VerdictCorrection).where(
        VerdictCorrection.tenant == tenant, VerdictCorrection.employee_id == nip)
        .order_by(VerdictCorrection.created_at.desc(), VerdictCorrection.id.desc()))
    return [row_record(r, zone) for r in rows]
