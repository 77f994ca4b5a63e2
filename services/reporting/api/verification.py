"""The verification chain: ``POST /verifications`` (``unit_head`` signs off the unit's day),
``GET /verifications`` (which units have verified) and ``GET /audit`` (``tenant_admin``).

A sign-off is made once (a second one answers 200 with the first) and only once the
day's windows have closed (409 before): :mod:`services.reporting.verification`.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.reporting import queries, verification
from services.reporting.api.deps import Admin, Head, Reader, scope, tenant_of
from services.reporting.schemas import AuditOut, VerificationOut, VerificationOverview, VerifyIn
from services.reporting.store import Unit, Verification
from services.runtime import errors
from services.runtime.deps import Runtime

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _out(row: Verification, name: str) -> VerificationOut:
    return VerificationOut(unit_id=row.unit_id, name=name, date=row.day, verified=True, verified_by=row.verified_by,
                           verified_at=row.verified_at, note=row.note)


@router.post("/verifications", response_model=VerificationOut, status_code=status.HTTP_201_CREATED,
             summary="Verifikasi laporan harian unit / verify a unit's day",
             responses={200: {"description": "already verified (unchanged)"},
                        409: {"description": "the day's windows have not all closed"}})
async def verify(rt: Runtime, body: VerifyIn, principal: Head, response: Response) -> VerificationOut:
    tenant_id = principal.require_tenant()
    unit_id = scope(principal, body.unit_id)
    if unit_id is None:
        raise errors.invalid(["body", "unit_id"], errors.text("unit_required"), "missing")
    async with rt.sessions() as session, session.begin():
        tenant = await tenant_of(session, principal)
        unit = await session.get(Unit, (tenant_id, unit_id))
        if unit is None:
            raise errors.not_found(errors.text("unit"), loc=["body", "unit_id"])
        existing = await session.get(Verification, (tenant_id, body.date, unit_id))
        if existing is not None:
            response.status_code = status.HTTP_200_OK
            return _out(existing, unit.name)
        row = await verification.sign_off(session, tenant, body.date, unit_id, actor=principal.subject,
                                          roles=sorted(principal.roles), nip=principal.employee_id, note=body.note,
                                          now=datetime.now(UTC))
    return _out(row, unit.name)


@router.get("/verifications", response_model=VerificationOverview,
            summary="Status verifikasi unit / which units have verified")
async def verifications(rt: Runtime, principal: Reader,
                        day: Annotated[date, Query(alias="date")]) -> VerificationOverview:
    tenant_id = principal.require_tenant()
    unit = scope(principal, None)
    async with rt.sessions() as session:
        units = await queries.units(session, tenant_id)
        done = await queries.verifications(session, tenant_id, day)
    rows = []
    for uid in sorted(units):
        if (unit and uid != unit) or not units[uid].active:
            continue
        check = done.get(uid)
        rows.append(_out(check, units[uid].name) if check else
                    VerificationOut(unit_id=uid, name=units[uid].name, date=day, verified=False))
    return VerificationOverview(date=day, total=len(rows), verified=sum(r.verified for r in rows), units=rows)


@router.get("/audit", response_model=list[AuditOut], summary="Jejak audit / audit trail")
async def audit(rt: Runtime, principal: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditOut]:
    async with rt.sessions() as session:
        rows = await queries.audit_trail(session, principal.require_tenant(), limit)
    return [AuditOut(at=r.at, actor=r.actor, roles=r.roles, action=r.action, target=r.target, details=r.details)
            for r in rows]
