"""The day's reports: ``GET /daily``, ``GET /daily/rows``, ``GET /daily/export`` (CSV, XLSX) and ``GET /overdue``.

Readers: ``tenant_admin`` (the whole tenant), ``unit_head`` (their own unit). The report
is gathered and built by :func:`services.reporting.reports.daily_report`; exports lay the
same report and its rows out as sheets (:mod:`services.reporting.exports`).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.contracts.policy import local_date
from services.reporting import exports, queries
from services.reporting.api.deps import XLSX, DayQ, Reader, UnitQ, download, safe, scope, tenant_of
from services.reporting.domain.daily_report import DailyReport
from services.reporting.domain.ledger import LedgerRow
from services.reporting.reports import daily_report
from services.reporting.schemas import DailyRowOut, DailyRowPage, Named, OverdueOut, OverduePage
from services.runtime import pages
from services.runtime.deps import Runtime
from services.runtime.pages import After, Limit

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/daily", response_model=DailyReport, summary="Laporan harian / daily report")
async def daily(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None) -> DailyReport:
    """Expected against received check-ins per window for one day: totals per status (on time, late, missing,
    excused), per unit, sector and window, outside-geofence and suspicious counts, the office quota against who was
    in the office, the letter in force and how many units signed off. `date` (YYYY-MM-DD, the tenant's local day)
    defaults to today in the tenant's zone. Tenant admin: the whole tenant or one `unit_id`; unit head: their own
    unit only (403 for another)."""
    unit = scope(principal, unit_id)
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        report, _ = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now)
    return report


@router.get("/daily/export", summary="Unduh laporan harian / download the daily report (CSV, XLSX)")
async def daily_export(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None,
                       format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
                       sheet: Annotated[Literal["ringkasan", "jendela", "rincian", "kuota"], Query()] = "ringkasan",
                       ) -> Response:
    """The daily report as a file: `format=xlsx` (every sheet in one workbook) or `csv` (one `sheet`: `ringkasan`
    summary, `jendela` per window, `rincian` per employee and window, `kuota` office quota). `date` (YYYY-MM-DD, the
    tenant's local day) defaults to today in the tenant's zone. Tenant admin: the whole tenant or one `unit_id`;
    unit head: their own unit only (403 for another)."""
    unit = scope(principal, unit_id)
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        report, detail = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now,
                                            with_rows=True)
    sheets = exports.daily_sheets(report, detail.rows, detail.window_names)
    name = f"laporan-harian-{safe(tenant.id)}-{report.date.isoformat()}" + (f"-{safe(unit)}" if unit else "")
    if format == "csv":
        chosen = {"ringkasan": 0, "jendela": 1, "rincian": 2, "kuota": 3}[sheet]
        return download(exports.to_csv(sheets[chosen]), f"{name}-{sheet}.csv", "text/csv; charset=utf-8")
    return download(exports.to_xlsx(sheets, f"Laporan harian {tenant.name} {report.date}"), f"{name}.xlsx", XLSX)


@router.get("/daily/rows", response_model=DailyRowPage,
            summary="Rincian laporan harian / the daily report's rows per employee and window")
async def daily_rows(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None,
                     limit: Limit = pages.DEFAULT_LIMIT, after: After = None) -> DailyRowPage:
    """One row per expected employee and window of the day, sorted by unit, NIP and window, a page at a time
    (`limit` rows; `next_after` sent back as `after` for the next page): the status with its name in both
    languages, minutes late, outside geofence, suspicious, check-in time, an absence that excuses it, and the
    original verdict when a correction changed it. `date` (YYYY-MM-DD, the tenant's local day) defaults to today in
    the tenant's zone. Tenant admin: the whole tenant or one `unit_id`; unit head: their own unit only (403 for
    another)."""
    unit = scope(principal, unit_id)
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        _, detail = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now,
                                       with_rows=True)
    rows, next_after = pages.of_sorted(sorted(detail.rows, key=_row_key), _row_key, after, limit)
    return DailyRowPage(items=[DailyRowOut(
        nip=r.nip, name=r.name, unit_id=r.unit_id, window_id=r.window_id,
        window_name=detail.window_names.get(r.window_id, r.window_id), status=r.status,
        status_name=Named(id=exports.STATUS[r.status], en=exports.STATUS_EN[r.status]), late_minutes=r.late_minutes,
        outside_geofence=r.outside_geofence, suspicious=r.suspicious, checkin_at=r.checkin_at, overdue=r.overdue,
        absence_kind=r.absence_kind,
        absence_name=Named(id=exports.absence_name(r.absence_kind), en=exports.absence_name(r.absence_kind, 1))
        if r.absence_kind else None,
        original_status=r.original_status,  # type: ignore[arg-type]
        original_late_minutes=r.original_late_minutes, original_outside_geofence=r.original_outside_geofence,
        corrected_at=r.corrected_at) for r in rows], next_after=next_after)


def _row_key(row: LedgerRow) -> tuple[str, str, str]:
    return row.unit_id, row.nip, row.window_id


@router.get("/overdue", response_model=OverduePage, summary="Terlambat lapor / overdue check-ins")
async def overdue(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None,
                  limit: Limit = pages.DEFAULT_LIMIT, after: After = None) -> OverduePage:
    """Expected check-ins of `date` whose window ended (plus grace) with nothing received: NIP, unit, window,
    status and deadline (UTC), by window and NIP, a page at a time (`limit` rows; `next_after` sent back as `after`
    for the next page). `date` (YYYY-MM-DD, the tenant's local day) defaults to today in the tenant's zone. Tenant
    admin: the whole tenant or one `unit_id`; unit head: their own unit only (403 for another)."""
    tenant_id = principal.require_tenant()
    unit = scope(principal, unit_id)
    async with rt.sessions() as session:
        if day is None:
            day = local_date(datetime.now(UTC), (await tenant_of(session, principal)).timezone)
        found = await queries.overdue(session, tenant_id, day, unit)
    rows, next_after = pages.of_sorted(found, lambda r: (r.window_id, r.nip), after, limit)
    return OverduePage(items=[OverdueOut(nip=r.nip, unit_id=r.unit_id, window_id=r.window_id, status=r.status,
                                         deadline=r.deadline) for r in rows], next_after=next_after)
