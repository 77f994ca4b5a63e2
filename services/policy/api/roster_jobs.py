"""Bulk roster generation: one call for the whole tenant or a list of units, as a durable job
(:mod:`services.policy.roster_jobs`), and its progress. Tenant admins only.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from services.policy import roster_jobs
from services.policy.job_schemas import MAX_JOB_UNITS, RosterJobIn, RosterJobOut
from services.policy.schemas import MAX_ROSTER_DAYS
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES

router = APIRouter(prefix="/v1/rosters", tags=["rosters"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]


@router.post("/generate", status_code=status.HTTP_202_ACCEPTED, response_model=RosterJobOut,
             summary="Generate the rosters of many units (or the whole tenant) for a date range, as one job",
             description=f"`unit_ids` (at most {MAX_JOB_UNITS}, each once; null: every active unit) are generated "
                         f"one by one in the background, each exactly as `POST /v1/units/{{unit_id}}/rosters` "
                         f"would (range at most {MAX_ROSTER_DAYS} days). Answers 202 with the job; follow it at "
                         "`GET /v1/rosters/jobs/{id}`. A unit that cannot be generated (no letter on a day, "
                         "unknown unit, overrides in the way) is listed with its reason; the others complete.")
async def generate(rt: Runtime, request: Request, body: RosterJobIn, principal: Admin) -> RosterJobOut:
    tenant = principal.require_tenant()
    async with rt.sessions() as session, session.begin():
        job = await roster_jobs.create(session, tenant=tenant, actor=principal.subject, body=body,
                                       now=datetime.now(UTC))
        out = await roster_jobs.read(session, tenant, job.id)
    request.app.state.roster_jobs.wake()
    assert out is not None
    return out


@router.get("/jobs/{job_id}", response_model=RosterJobOut, summary="A roster job's progress",
            responses={404: {"description": "no such job for the caller's tenant"}})
async def job(rt: Runtime, job_id: uuid.UUID, principal: Admin) -> RosterJobOut:
    """A bulk roster generation started by the tenant admin: queued, running, done or failed, units done and failed,
    and why each failed unit failed. 404 for another tenant's or an unknown job."""
    async with rt.sessions() as session:
        out = await roster_jobs.read(session, principal.require_tenant(), job_id)
    if out is None:
        raise errors.not_found(errors.text("roster_job"))
    return out
