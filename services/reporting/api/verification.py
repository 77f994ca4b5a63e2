"""The verification chain: ``POST /verifications`` (``unit_head`` signs off the unit's day),
``POST /daily/{date}/units/{unit_id}/review`` (the BKD, ``tenant_admin``, accepts or returns
it), ``GET /verifications`` (each unit's state) and ``GET /audit`` (``tenant_admin``).

A sign-off is made once (a second one answers 200 with the first) and only once the
day's windows have closed (409 before), unless the BKD returned it: then the head signs
off again. The BKD decides once per sign-off (the same decision again answers 200, the
other 409; returning needs a note): :mod:`services.reporting.verification`,
:mod:`services.reporting.domain.sign_off`.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.contracts.policy import local_date
from services.reporting import queries, verification
from services.reporting.api.deps import Admin, DayQ, Head, Reader, UnitPath, scope, tenant_of
from services.reporting.domain import sign_off as rules
from services.reporting.schemas import AuditOut, AuditPage, ReviewIn, VerificationOut, VerificationOverview, VerifyIn
from services.reporting.store import SignOffReview, Unit, Verification
from services.runtime import errors, pages
from services.runtime.deps import Runtime
from services.runtime.pages import After, Limit

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _out(row: Verification, name: str, review: SignOffReview | None) -> VerificationOut:
    decision = review.decision if review else None
    return VerificationOut(unit_id=row.unit_id, name=name, date=row.day, verified=rules.verified(True, decision),
                           verified_by=row.verified_by, verified_at=row.verified_at, note=row.note,
                           state=rules.state(True, decision), review_note=review.note if review else None,
                           reviewed_by=review.reviewed_by if review else None,
                           reviewed_at=review.reviewed_at if review else None)


@router.post("/verifications", response_model=VerificationOut, status_code=status.HTTP_201_CREATED,
             summary="Verifikasi laporan harian unit / verify a unit's day",
             responses={200: {"description": "already verified (unchanged)"},
                        409: {"description": "the day's windows have not all closed"}})
async def verify(rt: Runtime, body: VerifyIn, principal: Head, response: Response) -> VerificationOut:
    """The unit head signs off their unit's day (`date`, `unit_id`, an optional note) once every window of the day
    has closed (409 before). 201 the first time; 200 with the same sign-off when repeated; after the BKD returned
    it, a new sign-off. Audited."""
    tenant_id = principal.require_tenant()
    unit_id = scope(principal, body.unit_id)
    if unit_id is None:
        raise errors.invalid(["body", "unit_id"], errors.text("unit_required"), "missing")
    async with rt.sessions() as session, session.begin():
        tenant = await tenant_of(session, principal)
        unit = await session.get(Unit, (tenant_id, unit_id))
        if unit is None:
            raise errors.not_found(errors.text("unit"), loc=["body", "unit_id"])
        row, review, changed = await verification.sign_off(
            session, tenant, body.date, unit_id, actor=principal.subject, roles=sorted(principal.roles),
            nip=principal.employee_id, note=body.note, now=datetime.now(UTC))
        out = _out(row, unit.name, review)
    if not changed:
        response.status_code = status.HTTP_200_OK
    return out


@router.post("/daily/{date}/units/{unit_id}/review", response_model=VerificationOut,
             summary="Terima atau kembalikan verifikasi unit / accept or return a unit's sign-off (BKD)",
             responses={409: {"description": "not signed off, or already decided otherwise"}})
async def review(rt: Runtime, body: ReviewIn, principal: Admin, unit_id: UnitPath,
                 day: Annotated[date, Path(alias="date")]) -> VerificationOut:
    """The BKD accepts or returns a unit's sign-off for `date`; returning needs a `note`. The same decision again
    answers 200 unchanged; the other decision 409. Audited. Tenant admin."""
    tenant_id = principal.require_tenant()
    if body.decision == "return" and not (body.note or "").strip():
        raise errors.invalid(["body", "note"], errors.text("return_needs_note"), "missing")
    async with rt.sessions() as session, session.begin():
        unit = await session.get(Unit, (tenant_id, unit_id))
        if unit is None:
            raise errors.not_found(errors.text("unit"), loc=["path", "unit_id"])
        row, decided, _ = await verification.review(
            session, tenant_id, day, unit_id, rules.DECISIONS[body.decision], note=body.note,
            actor=principal.subject, roles=sorted(principal.roles), now=datetime.now(UTC))
        return _out(row, unit.name, decided)


@router.get("/verifications", response_model=VerificationOverview,
            summary="Status verifikasi unit / which units have verified")
async def verifications(rt: Runtime, principal: Reader, day: DayQ = None) -> VerificationOverview:
    """For `date` (YYYY-MM-DD, the tenant's local day; default: today in the tenant's zone): every active unit,
    signed off or not, by whom, and the BKD's decision. Tenant admin: every unit; unit head: their own."""
    tenant_id = principal.require_tenant()
    unit = scope(principal, None)
    async with rt.sessions() as session:
        if day is None:
            day = local_date(datetime.now(UTC), (await tenant_of(session, principal)).timezone)
        units = await queries.units(session, tenant_id)
        done = await queries.verifications(session, tenant_id, day)
        decided = await verification.reviews(session, tenant_id, day)
    rows = []
    for uid in sorted(units):
        if (unit and uid != unit) or not units[uid].active:
            continue
        check = done.get(uid)
        rows.append(_out(check, units[uid].name, decided.get(uid)) if check else
                    VerificationOut(unit_id=uid, name=units[uid].name, date=day, verified=False))
    return VerificationOverview(date=day, total=len(rows), verified=sum(r.verified for r in rows), units=rows)


@router.get("/audit", response_model=AuditPage, summary="Jejak audit / audit trail")
async def audit(rt: Runtime, principal: Admin, limit: Limit = pages.DEFAULT_LIMIT, after: After = None) -> AuditPage:
    """The tenant's audited actions, newest first, a page at a time (`limit` rows; `next_after` sent back as `after`
    for the next page): who (subject and roles), what, on which target, with details. Tenant admin."""
    async with rt.sessions() as session:
        rows, next_after = await queries.audit_trail(session, principal.require_tenant(), after, limit)
    return AuditPage(items=[AuditOut(at=r.at, actor=r.actor, roles=r.roles, action=r.action, target=r.target,
                                     details=r.details) for r in rows], next_after=next_after)
