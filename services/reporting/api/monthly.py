"""The month-end evaluation: ``GET /monthly``, ``GET /monthly/export`` and the score weights.

``GET /monthly`` is final once the month was frozen (:mod:`services.reporting.monthly`),
live from the ledger before; ``GET``/``PUT /score-weights`` read and set (audited,
``tenant_admin``) the tenant's discipline-score weights.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.contracts.policy import local_date
from services.reporting import exports, monthly, queries
from services.reporting.api.deps import XLSX, Admin, Reader, UnitQ, download, safe, scope, tenant_of
from services.reporting.domain import monthly as month_rules
from services.reporting.domain.monthly import MonthlyReport
from services.reporting.domain.scoring import Weights
from services.reporting.schemas import WeightsOut
from services.reporting.store import ScoreWeights, Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime
from services.runtime.service import ServiceRuntime

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _month(value: str | None, fallback: date) -> date:
    if value is None:
        return month_rules.month_start(fallback)
    try:
        year, month = map(int, value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise errors.invalid(["query", "month"], errors.text("invalid_month", value=value)) from exc


async def _report(rt: ServiceRuntime, principal: Principal, month_text: str | None,
                  unit_id: str | None) -> tuple[Tenant, MonthlyReport]:
    unit = scope(principal, unit_id)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        month = _month(month_text, local_date(datetime.now(UTC), tenant.timezone))
        closure, weights, rows = await monthly.month_scores(session, tenant.id, month, unit)
        units = await queries.units(session, tenant.id)
    return tenant, month_rules.build(tenant.id, month, rows, weights, closure.closed_at if closure else None,
                                     {uid: u.name for uid, u in units.items()})


@router.get("/monthly", response_model=MonthlyReport, summary="Evaluasi bulanan / monthly evaluation")
async def monthly_report(rt: Runtime, principal: Reader,
                         month: Annotated[str | None, Query(pattern=MONTH_PATTERN, examples=["2026-11"])] = None,
                         unit_id: UnitQ = None) -> MonthlyReport:
    """Per employee of the month: days and windows on time, late, missing and excused, the discipline score with the
    tenant's weights and its predicate, and whether the month is final (closed). `month` is YYYY-MM, default the
    current month in the tenant's zone. Tenant admin: the whole tenant or one `unit_id`; unit head: their own unit
    only (403 for another)."""
    _, report = await _report(rt, principal, month, unit_id)
    return report


@router.get("/monthly/export", summary="Unduh evaluasi bulanan / download the monthly evaluation")
async def monthly_export(rt: Runtime, principal: Reader,
                         month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
                         unit_id: UnitQ = None,
                         format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx") -> Response:
    """The monthly evaluation as `xlsx` (default) or `csv`, same rows as `GET /monthly`. Tenant admin: the whole
    tenant or one `unit_id`; unit head: their own unit only (403 for another)."""
    tenant, report = await _report(rt, principal, month, unit_id)
    first = date.fromisoformat(f"{report.month}-01")
    sheets = exports.monthly_sheets(first, report.employees, report.weights.model_dump(), report.final)
    name = f"evaluasi-bulanan-{safe(tenant.id)}-{report.month}" + (f"-{safe(unit_id)}" if unit_id else "")
    if format == "csv":
        return download(exports.to_csv(sheets[0]), f"{name}.csv", "text/csv; charset=utf-8")
    return download(exports.to_xlsx(sheets, f"Evaluasi bulanan {tenant.name} {exports.month_label(first)}"),
                    f"{name}.xlsx", XLSX)


@router.get("/score-weights", response_model=WeightsOut, summary="Bobot skor disiplin / score weights")
async def get_weights(rt: Runtime, principal: Reader) -> WeightsOut:
    """The weights the monthly discipline score uses (`source`: `tenant` when the BKD set its own, else `default`),
    with who changed them last and when."""
    async with rt.sessions() as session:
        own = await session.get(ScoreWeights, principal.require_tenant())
    if own is None:
        return WeightsOut(weights=monthly.default_weights(), source="default")
    return WeightsOut(weights=Weights.model_validate(own.weights), source="tenant", updated_by=own.updated_by,
                      updated_at=own.updated_at)


@router.put("/score-weights", response_model=WeightsOut, summary="Ubah bobot skor / set score weights")
async def put_weights(rt: Runtime, body: Weights, principal: Admin) -> WeightsOut:
    """Sets the tenant's score weights; later monthly reports use them, closed months keep theirs. Audited. Tenant
    admin."""
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        await monthly.set_weights(session, principal.require_tenant(), body, actor=principal.subject,
                                  roles=sorted(principal.roles), now=now)
    return WeightsOut(weights=body, source="tenant", updated_by=principal.subject, updated_at=now)
