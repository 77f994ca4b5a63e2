"""HTTP API of the reporting service (``/v1/reports``).

Tenant readers (``tenant_admin``: the whole tenant; ``unit_head``: their own unit):

- ``GET /daily`` — per window, per unit, per sector and for the tenant: expected, on
  time, late, missing, outside the geofence, suspicious; in-office share against
  the sector's quota; which units have verified;
- ``GET /daily/export`` — the same as CSV (one table, ``sheet``) or XLSX (all);
- ``GET /overdue`` — the employees who got a ``report.overdue`` (``late`` once their
  check-in came after all);
- ``GET /monthly`` and ``GET /monthly/export`` — the month's evaluation with
  discipline scores (final once the month-end evaluation ran);
- ``POST /verifications`` (``unit_head``) — the head signs off the unit's day
  (audited); ``GET /verifications`` — which units have verified;
- ``GET /audit`` (``tenant_admin``) — the audit trail;
- ``GET``/``PUT /score-weights`` — the tenant's discipline-score weights.

National (``national_viewer``, ``platform_admin``): ``GET /national`` — aggregates
per tenant and per sector, no personal data.
"""


import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.contracts.policy import PolicyContent, local_date
from services.contracts.rules.windows import window_bounds
from services.reporting import exports, monthly, queries, scoring
from services.reporting.daily import Counts
from services.reporting.national import NationalReport, national_report
from services.reporting.reports import DailyReport, daily_report
from services.reporting.store import AuditEntry, Expectation, MonthlyClosure, ScoreWeights, Tenant, Unit, Verification
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OverdueOut(BaseModel):
    nip: str
    unit_id: str
    window_id: str
    status: str
    deadline: datetime


class ScoreOut(BaseModel):
    nip: str
    name: str
    unit_id: str
    expected: int
    on_time: int
    late: int
    missing: int
    outside_geofence: int
    suspicious: int
    late_minutes: int
    score: float | None
    predicate: str | None


class UnitMonth(BaseModel):
    unit_id: str
    name: str
    employees: int
    average_score: float | None
    totals: Counts


class MonthlyReport(BaseModel):
    tenant: str
    month: str
    final: bool
    closed_at: datetime | None
    weights: scoring.Weights
    employees: list[ScoreOut]
    units: list[UnitMonth]
    totals: Counts
    average_score: float | None


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    unit_id: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00]*$")
    note: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$")


class VerificationOut(BaseModel):
    unit_id: str
    name: str
    date: date
    verified: bool
    verified_by: str | None = None
    verified_at: datetime | None = None
    note: str | None = None


class VerificationOverview(BaseModel):
    date: date
    total: int
    verified: int
    units: list[VerificationOut]


class AuditOut(BaseModel):
    at: datetime
    actor: str
    roles: list[str]
    action: str
    target: str
    details: dict


class WeightsOut(BaseModel):
    weights: scoring.Weights
    source: Literal["tenant", "default"]
    updated_by: str | None = None
    updated_at: datetime | None = None


def _month(value: str | None, fallback: date) -> date:
    if value is None:
        return monthly.month_start(fallback)
    try:
        year, month = map(int, value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise errors.invalid(["query", "month"], errors.text("invalid_month", value=value)) from exc


def _download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head"))]
    Admin = Annotated[Principal, Depends(rt.role("tenant_admin"))]
    Head = Annotated[Principal, Depends(rt.role("unit_head"))]
    National = Annotated[Principal, Depends(rt.role("national_viewer", "platform_admin"))]
    DayQ = Annotated[date | None, Query(alias="date")]
    UnitQ = Annotated[str | None, Query(max_length=100)]

    def scope(principal: Principal, unit_id: str | None) -> str | None:
        if principal.has("tenant_admin"):
            return unit_id
        if not principal.unit_id:
            raise errors.forbidden("token_without_unit")
        if unit_id and unit_id != principal.unit_id:
            raise errors.forbidden("not_your_unit", loc=["query", "unit_id"])
        return principal.unit_id

    async def tenant_of(session, principal: Principal) -> Tenant:  # type: ignore[no-untyped-def]
        tenant = await session.get(Tenant, principal.require_tenant())
        if tenant is None:
            raise errors.not_found(errors.text("tenant"))
        return tenant

    # --- daily --------------------------------------------------------------------

    @router.get("/daily", response_model=DailyReport, summary="Laporan harian / daily report")
    async def daily(principal: Reader, day: DayQ = None, unit_id: UnitQ = None) -> DailyReport:
        unit = scope(principal, unit_id)
        now = datetime.now(UTC)
        async with rt.sessions() as session:
            tenant = await tenant_of(session, principal)
            report, _ = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now)
        return report

    @router.get("/daily/export", summary="Unduh laporan harian / download the daily report (CSV, XLSX)")
    async def daily_export(principal: Reader, day: DayQ = None, unit_id: UnitQ = None,
                           format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
                           sheet: Annotated[Literal["ringkasan", "jendela", "rincian"], Query()] = "ringkasan",
                           ) -> Response:
        unit = scope(principal, unit_id)
        now = datetime.now(UTC)
        async with rt.sessions() as session:
            tenant = await tenant_of(session, principal)
            report, detail = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now,
                                                with_rows=True)
        sheets = exports.daily_sheets(report, detail.rows, detail.window_names)
        name = f"laporan-harian-{_safe(tenant.id)}-{report.date.isoformat()}" + (f"-{_safe(unit)}" if unit else "")
        if format == "csv":
            chosen = {"ringkasan": 0, "jendela": 1, "rincian": 2}[sheet]
            return _download(exports.to_csv(sheets[chosen]), f"{name}-{sheet}.csv", "text/csv; charset=utf-8")
        return _download(exports.to_xlsx(sheets, f"Laporan harian {tenant.name} {report.date}"), f"{name}.xlsx", XLSX)

    @router.get("/overdue", response_model=list[OverdueOut], summary="Terlambat lapor / overdue check-ins")
    async def overdue(principal: Reader, day: Annotated[date, Query(alias="date")], unit_id: UnitQ = None,
                      ) -> list[OverdueOut]:
        tenant_id = principal.require_tenant()
        unit = scope(principal, unit_id)
        query = select(Expectation).where(Expectation.tenant == tenant_id, Expectation.day == day,
                                          Expectation.overdue.is_(True))
        if unit:
            query = query.where(Expectation.unit_id == unit)
        async with rt.sessions() as session:
            rows = await session.scalars(query.order_by(Expectation.window_id, Expectation.nip))
            return [OverdueOut(nip=r.nip, unit_id=r.unit_id, window_id=r.window_id, status=r.status,
                               deadline=r.deadline) for r in rows]

    # --- monthly ------------------------------------------------------------------

    async def monthly_data(principal: Principal, month_text: str | None, unit_id: str | None):  # type: ignore[no-untyped-def]
        unit = scope(principal, unit_id)
        async with rt.sessions() as session:
            tenant = await tenant_of(session, principal)
            month = _month(month_text, local_date(datetime.now(UTC), tenant.timezone))
            closure = await session.get(MonthlyClosure, (tenant.id, month))
            if closure is not None:
                weights = scoring.Weights.model_validate(closure.weights)
                rows = await monthly.frozen_scores(session, tenant.id, month, unit)
            else:
                weights = await monthly.weights_for(session, tenant.id)
                rows = await monthly.live_scores(session, tenant.id, month, weights, unit)
            units = await queries.units(session, tenant.id)
        return tenant, month, closure, weights, rows, units

    @router.get("/monthly", response_model=MonthlyReport, summary="Evaluasi bulanan / monthly evaluation")
    async def monthly_report(principal: Reader,
                             month: Annotated[str | None, Query(pattern=MONTH_PATTERN, examples=["2026-11"])] = None,
                             unit_id: UnitQ = None) -> MonthlyReport:
        tenant, first, closure, weights, rows, units = await monthly_data(principal, month, unit_id)
        per_unit: dict[str, list[monthly.ScoreRow]] = {}
        for r in rows:
            per_unit.setdefault(r.unit_id, []).append(r)
        unit_rows = []
        for uid in sorted(per_unit):
            members = per_unit[uid]
            scored = [m.score for m in members if m.score is not None]
            unit_rows.append(UnitMonth(unit_id=uid, name=units[uid].name if uid in units else uid,
                                       employees=len(members),
                                       average_score=round(sum(scored) / len(scored), 1) if scored else None,
                                       totals=_month_counts(members)))
        scored = [r.score for r in rows if r.score is not None]
        return MonthlyReport(
            tenant=tenant.id, month=first.strftime("%Y-%m"), final=closure is not None,
            closed_at=closure.closed_at if closure else None, weights=weights,
            employees=[ScoreOut(**{k: getattr(r, k) for k in ScoreOut.model_fields}) for r in rows],
            units=unit_rows, totals=_month_counts(rows),
            average_score=round(sum(scored) / len(scored), 1) if scored else None)

    @router.get("/monthly/export", summary="Unduh evaluasi bulanan / download the monthly evaluation")
    async def monthly_export(principal: Reader,
                             month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
                             unit_id: UnitQ = None,
                             format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx") -> Response:
        tenant, first, closure, weights, rows, _ = await monthly_data(principal, month, unit_id)
        sheets = exports.monthly_sheets(first, rows, weights.model_dump(), closure is not None)
        name = f"evaluasi-bulanan-{_safe(tenant.id)}-{first.strftime('%Y-%m')}" + (f"-{_safe(unit_id)}"
                                                                                   if unit_id else "")
        if format == "csv":
            return _download(exports.to_csv(sheets[0]), f"{name}.csv", "text/csv; charset=utf-8")
        return _download(exports.to_xlsx(sheets, f"Evaluasi bulanan {tenant.name} {exports.month_label(first)}"),
                         f"{name}.xlsx", XLSX)

    @router.get("/score-weights", response_model=WeightsOut, summary="Bobot skor disiplin / score weights")
    async def get_weights(principal: Reader) -> WeightsOut:
        async with rt.sessions() as session:
            own = await session.get(ScoreWeights, principal.require_tenant())
        if own is None:
            return WeightsOut(weights=scoring.default_weights(), source="default")
        return WeightsOut(weights=scoring.Weights.model_validate(own.weights), source="tenant",
                          updated_by=own.updated_by, updated_at=own.updated_at)

    @router.put("/score-weights", response_model=WeightsOut, summary="Ubah bobot skor / set score weights")
    async def put_weights(body: scoring.Weights, principal: Admin) -> WeightsOut:
        tenant = principal.require_tenant()
        now = datetime.now(UTC)
        async with rt.sessions() as session, session.begin():
            await session.merge(ScoreWeights(tenant=tenant, weights=body.model_dump(), updated_by=principal.subject,
                                             updated_at=now))
            session.add(AuditEntry(tenant=tenant, actor=principal.subject, roles=sorted(principal.roles),
                                   action="ubah_bobot_skor", target="score-weights", details=body.model_dump(), at=now))
        return WeightsOut(weights=body, source="tenant", updated_by=principal.subject, updated_at=now)

    # --- verification chain ---------------------------------------------------------

    @router.post("/verifications", response_model=VerificationOut, status_code=status.HTTP_201_CREATED,
                 summary="Verifikasi laporan harian unit / verify a unit's day",
                 responses={200: {"description": "already verified (unchanged)"},
                            409: {"description": "the day's windows have not all closed"}})
    async def verify(body: VerifyIn, principal: Head, response: Response) -> VerificationOut:
        tenant_id = principal.require_tenant()
        unit_id = scope(principal, body.unit_id)
        if unit_id is None:
            raise errors.invalid(["body", "unit_id"], errors.text("unit_required"), "missing")
        now = datetime.now(UTC)
        async with rt.sessions() as session, session.begin():
            tenant = await tenant_of(session, principal)
            unit = await session.get(Unit, (tenant_id, unit_id))
            if unit is None:
                raise errors.not_found(errors.text("unit"), loc=["body", "unit_id"])
            existing = await session.get(Verification, (tenant_id, body.date, unit_id))
            if existing is not None:
                response.status_code = status.HTTP_200_OK
                return _verification_out(existing, unit.name)
            await _require_day_closed(session, tenant, body.date)
            row = Verification(tenant=tenant_id, day=body.date, unit_id=unit_id, verified_by=principal.subject,
                               verified_nip=principal.employee_id, verified_at=now, note=body.note)
            session.add(row)
            session.add(AuditEntry(tenant=tenant_id, actor=principal.subject, roles=sorted(principal.roles),
                                   action="verifikasi_laporan_harian", target=f"unit:{unit_id}/{body.date}",
                                   details={"nip": principal.employee_id, "note": body.note}, at=now))
        return _verification_out(row, unit.name)

    @router.get("/verifications", response_model=VerificationOverview,
                summary="Status verifikasi unit / which units have verified")
    async def verifications(principal: Reader, day: Annotated[date, Query(alias="date")]) -> VerificationOverview:
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
            rows.append(_verification_out(check, units[uid].name) if check else
                        VerificationOut(unit_id=uid, name=units[uid].name, date=day, verified=False))
        return VerificationOverview(date=day, total=len(rows), verified=sum(r.verified for r in rows), units=rows)

    @router.get("/audit", response_model=list[AuditOut], summary="Jejak audit / audit trail")
    async def audit(principal: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditOut]:
        async with rt.sessions() as session:
            rows = await session.scalars(select(AuditEntry).where(AuditEntry.tenant == principal.require_tenant())
                                         .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
            return [AuditOut(at=r.at, actor=r.actor, roles=r.roles, action=r.action, target=r.target,
                             details=r.details) for r in rows]

    # --- national -------------------------------------------------------------------

    @router.get("/national", response_model=NationalReport,
                summary="Pandangan nasional / national view (aggregates only)")
    async def national(_: National, day: Annotated[date, Query(alias="date")]) -> NationalReport:
        async with rt.sessions() as session:
            return await national_report(session, day)

    return router


def _month_counts(rows: list[monthly.ScoreRow]) -> Counts:
    c = Counts()
    for r in rows:
        c.expected += r.expected
        c.on_time += r.on_time
        c.late += r.late
        c.missing += r.missing
        c.outside_geofence += r.outside_geofence
        c.suspicious += r.suspicious
    return c


def _verification_out(row: Verification, name: str) -> VerificationOut:
    return VerificationOut(unit_id=row.unit_id, name=name, date=row.day, verified=True, verified_by=row.verified_by,
                           verified_at=row.verified_at, note=row.note)


async def _require_day_closed(session, tenant: Tenant, day: date) -> None:  # type: ignore[no-untyped-def]
    """A day can be verified once every window of it that will close has closed."""
    version = await queries.policy_for_day(session, tenant.id, day)
    closed = await queries.closures(session, tenant.id, day)
    if version is None or not closed:
        raise errors.conflict("no_report_yet")
    content = PolicyContent.model_validate(version.content)
    for window in content.windows:
        _, _, deadline = window_bounds(window, day, tenant.timezone)
        if deadline >= queries.effective_at(version) and window.id not in closed:
            raise errors.conflict("window_not_closed", name=window.name, window_id=window.id)
