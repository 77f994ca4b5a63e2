"""Absences: the employee asks and cancels, the head of their unit and the BKD decide (rules:
:mod:`..absences`).

``POST /v1/me/absences``, ``GET /v1/me/absences``, ``POST /v1/me/absences/{absence_id}/cancel`` are
the employee's own; ``GET /v1/absences``, ``GET /v1/absences/{absence_id}`` and
``POST /v1/absences/{absence_id}/decision`` the unit head's (their unit only) and the tenant admin's
(BKD: every unit, and the only one deciding the BKD's step). Every change publishes
``absence.updated.v1`` (through the outbox, in the change's transaction).
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from services.contracts.rules.absence import AbsenceStatus
from services.policy import absences, day_requests
from services.policy.decision_schemas import AbsenceIn, AbsenceOut, AbsencePage
from services.policy.domain.deciders import may_read
from services.policy.privacy_schemas import DecisionIn
from services.policy.schemas import FIRST_DAY, ID_PATTERN, LAST_DAY
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.data_subject import DataSubject
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit

Manager = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]
AbsenceId = Annotated[UUID, Path(description="the absence's `id`")]
QueryDay = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD")]

router = APIRouter(prefix="/v1", tags=["absences"], responses=VALIDATION_RESPONSES)
DECIDED: dict[int | str, dict[str, Any]] = {
    403: {"description": "not the head of the employee's unit, not the BKD's step, or one's own"},
    404: {"description": "no such absence"}, 409: {"description": "not waiting for a decision"}}


@router.post("/me/absences", response_model=AbsenceOut, status_code=201,
             summary="Ask for an absence (cuti, sakit, izin, dinas luar, tugas belajar)",
             description="Days are tenant-local, `end` inclusive; the start at most 31 days ago. The letter in "
                         "force on the first day says whether the BKD approves it after the head (`needs_bkd`). "
                         "`place` (official travel only) is where check-ins are allowed on those days; the head "
                         "and the BKD see its name, not its coordinates.",
             responses={404: {"description": "the caller is not in the directory"},
                        409: {"description": "another absence covers some of these days"}})
async def ask(rt: Runtime, body: AbsenceIn, me: DataSubject) -> AbsenceOut:
    async with rt.sessions() as session, session.begin():
        made = await absences.request(rt, session, me.tenant, me.nip, body, datetime.now(UTC))
    rt.wake_relay()
    return made


@router.get("/me/absences", response_model=AbsencePage, summary="My absences, newest first")
async def mine(rt: Runtime, me: DataSubject, limit: Limit = 100, after: After = None) -> AbsencePage:
    """The caller's absences (cuti, sakit, izin, dinas luar, tugas belajar) with their state and every decision,
    newest first; an official trip's place with its coordinates, since they are the caller's own. A page at a time:
    `limit`, and `after` set to the previous page's `next_after`."""
    async with rt.sessions() as session:
        return await absences.page(session, me.tenant, employee_id=me.nip, after=after, limit=limit,
                                   coordinates=True)


@router.post("/me/absences/{absence_id}/cancel", response_model=AbsenceOut,
             summary="Cancel my absence",
             description="A requested one is withdrawn; an approved one is expected again from today (or its "
                         "first day, if later) on: `cancelled_from`; the days before stay excused.",
             responses={404: {"description": "no such absence of mine"},
                        409: {"description": "already decided against, cancelled, or over"}})
async def cancel(rt: Runtime, absence_id: AbsenceId, me: DataSubject) -> AbsenceOut:
    async with rt.sessions() as session, session.begin():
        cancelled = await absences.cancel(rt, session, me.tenant, me.nip, absence_id, datetime.now(UTC))
    rt.wake_relay()
    return cancelled


@router.get("/absences", response_model=AbsencePage,
            summary="Absences of my unit (unit head) or of every unit (BKD), newest first",
            description="`since`/`until`: absences touching those days.")
async def listing(rt: Runtime, principal: Manager, limit: Limit = 100, after: After = None,
                  status: Annotated[AbsenceStatus | None, Query()] = None,
                  unit_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
                  since: QueryDay = None, until: QueryDay = None) -> AbsencePage:
    unit_id = day_requests.listed_unit(principal, unit_id)
    async with rt.sessions() as session:
        return await absences.page(session, principal.require_tenant(), unit_id=unit_id, status=status,
                                   since=since, until=until, after=after, limit=limit)


@router.get("/absences/{absence_id}", response_model=AbsenceOut, summary="One absence, with its decisions",
            responses={403: {"description": "another unit's"}, 404: {"description": "no such absence"}})
async def read(rt: Runtime, absence_id: AbsenceId, principal: Manager) -> AbsenceOut:
    """One absence with its decisions (the head's, then the BKD's when needed), without an official trip's
    coordinates. The head of the employee's unit or the tenant admin (403 for another unit)."""
    async with rt.sessions() as session:
        row = await absences.one(session, principal.require_tenant(), absence_id)
    if not may_read(roles=principal.roles, unit_id=principal.unit_id, request_unit=row.unit_id):
        raise errors.forbidden("own_unit_only")
    return absences.out(row)


@router.post("/absences/{absence_id}/decision", response_model=AbsenceOut,
             summary="Approve or reject an absence (the head's step, then the BKD's when needed)",
             description="A requested absence is the head's (of the employee's unit) or the BKD's to decide; "
                         "one awaiting the BKD only the BKD's. A rejection needs a `note`, told to the employee.",
             responses=DECIDED)
async def decide(rt: Runtime, absence_id: AbsenceId, body: DecisionIn, principal: Manager) -> AbsenceOut:
    async with rt.sessions() as session, session.begin():
        decided = await absences.decide(rt, session, principal.require_tenant(), absence_id, body, principal,
                                        datetime.now(UTC))
    rt.wake_relay()
    return decided
