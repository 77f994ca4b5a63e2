"""HTTP API of the reporting service."""


from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select

from services.contracts.policy import PolicyContent, local_date, window_bounds, zone_abbreviation
from services.reporting import queries
from services.reporting.daily import EvaluationFact, WindowSummary, summarize_window
from services.reporting.expectations import expected
from services.reporting.store import Evaluation, Overdue, Tenant
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime


class DailyReport(BaseModel):
    tenant: str
    date: date
    timezone: str
    zone: str
    unit_id: str | None
    policy_number: str | None
    windows: list[WindowSummary]


class OverdueOut(BaseModel):
    nip: str
    unit_id: str
    window_id: str
    status: str
    deadline: datetime


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head"))]

    def scope(principal: Principal, unit_id: str | None) -> str | None:
        if principal.has("tenant_admin"):
            return unit_id
        if unit_id and unit_id != principal.unit_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Bukan unit Anda / not your unit")
        return principal.unit_id

    @router.get("/daily", response_model=DailyReport)
    async def daily(principal: Reader, day: Annotated[date | None, Query(alias="date")] = None,
                    unit_id: Annotated[str | None, Query(max_length=100)] = None) -> DailyReport:
        tenant_id = principal.require_tenant()
        unit = scope(principal, unit_id)
        now = datetime.now(UTC)
        async with rt.sessions() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "Tenant belum dikenal / tenant not known yet")
            day = day or local_date(now, tenant.timezone)
            version = await queries.policy_for_day(session, tenant_id, day)
            summaries: list[WindowSummary] = []
            if version is not None:
                content = PolicyContent.model_validate(version.content)
                people = expected(await queries.people(session, tenant_id, unit), content, day,
                                  await queries.roster_modes(session, tenant_id, day))
                query = select(Evaluation).where(Evaluation.tenant == tenant_id, Evaluation.local_date == day)
                if unit:
                    query = query.where(Evaluation.unit_id == unit)
                facts = [EvaluationFact(nip=e.nip, window_id=e.window_id, status=e.status,
                                        geofence=e.geofence, suspicious=e.suspicious)
                         for e in await session.scalars(query)]
                for window in content.windows:
                    _, _, deadline = window_bounds(window, day, tenant.timezone)
                    summaries.append(summarize_window(window, deadline, now, people, facts))
        return DailyReport(tenant=tenant_id, date=day, timezone=tenant.timezone,
                           zone=zone_abbreviation(tenant.timezone), unit_id=unit,
                           policy_number=version.number if version else None, windows=summaries)

    @router.get("/overdue", response_model=list[OverdueOut])
    async def overdue(principal: Reader, day: Annotated[date, Query(alias="date")],
                      unit_id: Annotated[str | None, Query(max_length=100)] = None) -> list[OverdueOut]:
        tenant_id = principal.require_tenant()
        unit = scope(principal, unit_id)
        query = select(Overdue).where(Overdue.tenant == tenant_id, Overdue.day == day)
        if unit:
            query = query.where(Overdue.unit_id == unit)
        async with rt.sessions() as session:
            rows = await session.scalars(query.order_by(Overdue.window_id, Overdue.nip))
            return [OverdueOut(nip=r.nip, unit_id=r.unit_id, window_id=r.window_id, status=r.status,
                               deadline=r.deadline) for r in rows]

    return router
