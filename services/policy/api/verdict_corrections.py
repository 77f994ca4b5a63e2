"""Contested verdicts: the employee contests a window's verdict on a day, the head of their unit or
the BKD decides (rules: :mod:`..verdict_corrections`).

``POST /v1/me/verdict-corrections`` and ``GET /v1/me/verdict-corrections`` are the employee's own;
``GET /v1/verdict-corrections`` and ``POST /v1/verdict-corrections/{correction_id}/decision`` the unit
head's (their unit only) and the tenant admin's. Every change publishes ``correction.updated.v1``.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from services.contracts.rules.verdict_corrections import CorrectionStatus
from services.policy import day_requests, verdict_corrections
from services.policy.decision_schemas import VerdictCorrectionIn, VerdictCorrectionOut, VerdictCorrectionPage
from services.policy.privacy_schemas import DecisionIn
from services.policy.schemas import ID_PATTERN
from services.runtime.auth import Principal
from services.runtime.data_subject import DataSubject
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit

Manager = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]
CorrectionId = Annotated[UUID, Path(description="the request's `id`")]

router = APIRouter(prefix="/v1", tags=["verdict corrections"], responses=VALIDATION_RESPONSES)


@router.post("/me/verdict-corrections", response_model=VerdictCorrectionOut, status_code=201,
             summary="Contest a verdict (missed, late, outside the geofence) on one window of one day",
             description="The day at most 62 days ago and not in the future; the window one of the letter in "
                         "force that day; one open request per day and window.",
             responses={404: {"description": "the caller is not in the directory"},
                        409: {"description": "a request for this day and window is already waiting"}})
async def ask(rt: Runtime, body: VerdictCorrectionIn, me: DataSubject) -> VerdictCorrectionOut:
    async with rt.sessions() as session, session.begin():
        made = await verdict_corrections.request(rt, session, me.tenant, me.nip, body, datetime.now(UTC))
    rt.wake_relay()
    return made


@router.get("/me/verdict-corrections", response_model=VerdictCorrectionPage,
            summary="My contested verdicts and their decisions, newest first")
async def mine(rt: Runtime, me: DataSubject, limit: Limit = 100, after: After = None) -> VerdictCorrectionPage:
    """The windows whose verdict the caller contested, with the state and the decision, newest first. A page at a
    time: `limit`, and `after` set to the previous page's `next_after`."""
    async with rt.sessions() as session:
        return await verdict_corrections.page(session, me.tenant, employee_id=me.nip, after=after, limit=limit)


@router.get("/verdict-corrections", response_model=VerdictCorrectionPage,
            summary="Contested verdicts of my unit (unit head) or of every unit (BKD), newest first")
async def listing(rt: Runtime, principal: Manager, limit: Limit = 100, after: After = None,
                  status: Annotated[CorrectionStatus | None, Query()] = None,
                  unit_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None) -> VerdictCorrectionPage:
    """Contested verdicts, newest first: a unit head sees their own unit's, the tenant admin every unit's or one
    `unit_id`'s; optionally one `status`. A page at a time: `limit`, and `after` set to the previous page's
    `next_after`."""
    unit_id = day_requests.listed_unit(principal, unit_id)
    async with rt.sessions() as session:
        return await verdict_corrections.page(session, principal.require_tenant(), unit_id=unit_id, status=status,
                                              after=after, limit=limit)


@router.post("/verdict-corrections/{correction_id}/decision", response_model=VerdictCorrectionOut,
             summary="Approve or reject a contested verdict",
             description="The head of the employee's unit or the BKD decides, once; a rejection needs a `note`. "
                         "An approval changes the window's status in reports; the original verdict is kept.",
             responses={403: {"description": "not the head of the employee's unit, or one's own"},
                        404: {"description": "no such request"}, 409: {"description": "already decided"}})
async def decide(rt: Runtime, correction_id: CorrectionId, body: DecisionIn,
                 principal: Manager) -> VerdictCorrectionOut:
    async with rt.sessions() as session, session.begin():
        decided = await verdict_corrections.decide(rt, session, principal.require_tenant(), correction_id, body,
                                                   principal, datetime.now(UTC))
    rt.wake_relay()
    return decided
