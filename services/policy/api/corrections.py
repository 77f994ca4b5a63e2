"""Profile corrections: the employee asks, the tenant admin decides (rules: :mod:`..corrections`).

``POST /v1/me/profile-corrections`` and ``GET /v1/me/profile-corrections`` are the employee's own;
``GET /v1/profile-corrections`` and ``POST /v1/profile-corrections/{correction_id}/decision`` the
tenant admin's. An approval changes the directory (and publishes the change) in the decision's
transaction.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from services.policy import corrections, directory
from services.policy.api.me import Me
from services.policy.privacy_schemas import CorrectionIn, CorrectionOut, CorrectionPage, CorrectionStatus, DecisionIn
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit

Admin = Annotated[Principal, Depends(role("tenant_admin"))]
CorrectionId = Annotated[UUID, Path(description="the request's `id`")]

router = APIRouter(prefix="/v1", tags=["profile corrections"], responses=VALIDATION_RESPONSES)


@router.post("/me/profile-corrections", response_model=CorrectionOut, status_code=201,
             summary="Ask for a correction of my profile (name, position, e-mail or phone)",
             description="The value is checked as `PUT /v1/employees/{nip}` checks that field; one pending "
                         "request per field (409 while one waits).",
             responses={409: {"description": "a request for this field is already waiting"}})
async def ask(rt: Runtime, body: CorrectionIn, me: Me) -> CorrectionOut:
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session, session.begin():
        employee = (await directory.employee_records(session, tenant, [nip])).get(nip)
        if employee is None:
            raise errors.not_found(errors.text("employee"))
        return await corrections.request(session, tenant, employee, body, me.principal, datetime.now(UTC))


@router.get("/me/profile-corrections", response_model=CorrectionPage,
            summary="My correction requests and their decisions, newest first")
async def mine(rt: Runtime, me: Me, limit: Limit = 100, after: After = None) -> CorrectionPage:
    """The caller's requests to correct their own directory record (old and new value, status, who decided and the
    note), newest first. A page at a time: `limit`, and `after` set to the previous page's `next_after`."""
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session:
        return await corrections.listing(session, tenant, employee_id=nip, after=after, limit=limit)


@router.get("/profile-corrections", response_model=CorrectionPage,
            summary="The tenant's correction requests, newest first, a page at a time")
async def tenant_requests(rt: Runtime, principal: Admin, limit: Limit = 100, after: After = None,
                          status: Annotated[CorrectionStatus | None, Query()] = None) -> CorrectionPage:
    """Every profile correction request of the tenant, newest first, optionally only those of one `status`. A page
    at a time: `limit`, and `after` set to the previous page's `next_after`. Tenant admin."""
    async with rt.sessions() as session:
        return await corrections.listing(session, principal.require_tenant(), status=status, after=after,
                                         limit=limit)


@router.post("/profile-corrections/{correction_id}/decision", response_model=CorrectionOut,
             summary="Approve (and apply) or reject a correction request",
             description="An approval writes the new value to the employee's record at once (and publishes "
                         "the change); the request keeps the old and new value, who decided, when and the note.",
             responses={404: {"description": "no such request"}, 409: {"description": "already decided"}})
async def decide(rt: Runtime, correction_id: CorrectionId, body: DecisionIn, principal: Admin) -> CorrectionOut:
    tenant = principal.require_tenant()
    async with rt.sessions() as session, session.begin():
        decided = await corrections.decide(rt, session, tenant, correction_id, body, principal, datetime.now(UTC))
    rt.wake_relay()
    return decided
