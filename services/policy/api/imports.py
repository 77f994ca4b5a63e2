"""Bulk import of units and employees from CSV (format: :mod:`.csv_import`).

One request, one transaction: existing rows are read in chunks, compared with
the file, and only what changed is written with bulk upserts, together with one
``directory.updated`` outbox row per changed record (bulk insert). Re-importing
the same file therefore changes and publishes nothing.

A file with any bad row applies nothing (422, every bad row listed with its row
number, column and reason) unless ``apply_valid=true``, which applies the good
rows and still lists the bad ones. ``dry_run=true`` only reports.
"""


import asyncio
import email.policy
from datetime import UTC, datetime
from email.parser import BytesParser
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.contracts.policy import local_date
from services.policy import directory
from services.policy.api.directory import tenant_zone
from services.policy.domain import csv_import
from services.policy.domain.csv_import import (
    EmployeeRow,
    Problem,
    Table,
    parse_employees,
    parse_units,
    target_record,
    unreadable,
)
from services.policy.domain.unit_tree import UnitSpec, tree_problems
from services.policy.schemas import ImportReport, RowError
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES, FieldError, error, invalid, make, text

CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel")

EMPLOYEES_CSV = ("nip,nama,jabatan,unit,email,telepon,rumah_lat,rumah_lon\n"
                 "198001012005011001,Siti Rahmawati,Analis Kepegawaian,bkd,siti@bantenprov.go.id,6281234567890,"
                 "-6.1202,106.1503\n")
UNITS_CSV = "kode,nama,jenis,induk,sektor\nbkd,Badan Kepegawaian Daerah,badan,,non_essential\n"


def upload_body(example: str) -> dict[str, Any]:
    """The request body of an import: the CSV itself (``text/csv``) or a form with its ``file``."""
    return {"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}, "example": example},
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "properties": {"file": {
                "type": "string", "format": "binary", "examples": [example],
                "description": "the CSV file (UTF-8, a header row; `,` or `;` separated)"}}},
        },
    }}}


class InvalidUpload(BaseModel):
    """A request refused before any row is read: no ``file`` part, a bad query parameter."""

    detail: list[FieldError]


ApplyValid = Annotated[bool, Query(description="apply the valid rows even when some rows are bad")]
DryRun = Annotated[bool, Query(description="validate and compare only: the report's counts, nothing written")]


async def read_upload(request: Request) -> bytes:
    """The CSV bytes of a ``text/csv`` body or of a multipart form's file field."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in CSV_TYPES and media != "multipart/form-data":
        raise error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "csv_expected", loc=["header", "content-type"])
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > csv_import.MAX_BYTES:
            raise error(status.HTTP_413_CONTENT_TOO_LARGE, "file_too_large", loc=["body"],
                               mb=csv_import.MAX_BYTES // 2**20)
        chunks.append(chunk)
    body = b"".join(chunks)
    if media != "multipart/form-data":
        return body
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file" or part.get_filename():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload
    raise invalid(["body", "file"], text("no_file_part"), "missing")


def _report(kind: str, table: Table, valid: int, problems: list[Problem], **counts: Any) -> ImportReport:
    rows = len(table.rows) + sum(1 for p in table.problems if p.row > 1)
    errors = [RowError(row=p.row, column=p.column, part=p.part, message=p.message)
              for p in sorted(problems, key=lambda p: (p.row, p.column or ""))]
    return ImportReport(kind=kind, rows=rows, valid=valid, invalid=len({p.row for p in problems if p.row > 1}),  # type: ignore[arg-type]
                        errors=errors, ignored_columns=table.ignored, **counts)


def _count(report: ImportReport, outcome: Any, *, applied: bool) -> None:
    """What a save did, into the report."""
    report.applied = applied
    report.created, report.updated, report.unchanged = outcome.created, outcome.updated, outcome.unchanged
    report.published = outcome.published


def _respond(report: ImportReport) -> JSONResponse | ImportReport:
    if report.errors and not report.applied:
        report.detail = [make(["body", "file"], "bad_rows", text("bad_rows"))]
        return JSONResponse(report.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return report


router = APIRouter(prefix="/v1/imports", tags=["imports"], responses={
    **VALIDATION_RESPONSES,
    413: {"description": "file larger than 20 MB"},
    415: {"description": "not text/csv nor multipart/form-data"},
})
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
bad_file: dict[int | str, dict[str, Any]] = {
    422: {"model": ImportReport | InvalidUpload,
          "description": "bad rows, nothing applied (an ImportReport, see `errors`); or no usable upload "
                         "(`detail` names the field)"}}


@router.post("/employees", response_model=ImportReport, responses=bad_file, openapi_extra=upload_body(EMPLOYEES_CSV),
             summary="Import employees from a CSV file",
             description=(csv_import.__doc__ or "") + "\n\n" + (__doc__ or ""))
async def import_employees(rt: Runtime, request: Request, principal: Admin, apply_valid: ApplyValid = False,
                           dry_run: DryRun = False) -> Any:
    tenant = principal.require_tenant()
    data = await read_upload(request)
    async with rt.sessions() as session:
        today = local_date(datetime.now(UTC), await tenant_zone(session, tenant))
    table, good, problems = await asyncio.to_thread(parse_employees, data, today)
    async with rt.sessions() as session, session.begin():
        units = set(await directory.unit_rows(session, tenant))
        valid: list[EmployeeRow] = []
        for number, row in good:
            unit_id = row.fields.get("unit_id")
            if unit_id in units:
                valid.append(row)
            else:
                problems.append(Problem(number, "unit", f"unit {unit_id!r} tidak ada / unknown unit {unit_id!r}"))
        report = _report("employees", table, len(valid), problems, applied=False)
        if (problems and not apply_valid) or unreadable(table):
            return _respond(report)
        before = await directory.employee_records(session, tenant, [r.nip for r in valid])
        targets = [target_record(r, before.get(r.nip), today) for r in valid]
        outcome = await directory.save_employees(rt, session, tenant, targets, before, write=not dry_run)
        _count(report, outcome, applied=not dry_run)
    rt.wake_relay()
    return _respond(report)


@router.post("/units", response_model=ImportReport, responses=bad_file, openapi_extra=upload_body(UNITS_CSV),
             summary="Import units (OPD tree) from a CSV file",
             description=(csv_import.__doc__ or "") + "\n\n" + (__doc__ or ""))
async def import_units(rt: Runtime, request: Request, principal: Admin, apply_valid: ApplyValid = False,
                       dry_run: DryRun = False) -> Any:
    tenant = principal.require_tenant()
    data = await read_upload(request)
    table, good, problems = await asyncio.to_thread(parse_units, data)
    async with rt.sessions() as session, session.begin():
        rows = await directory.unit_rows(session, tenant)
        specs = [UnitSpec(r.id, r.name, r.kind, r.parent_id, r.sector, r.active) for _, r in good]
        tree = tree_problems({i: u.parent_id for i, u in rows.items()}, specs)
        numbers = {r.id: n for n, r in good}
        problems += [Problem(numbers[i], "induk", f"{ind} / {en}") for i, (ind, en) in tree.items()]
        specs = [s for s in specs if s.id not in tree]
        report = _report("units", table, len(specs), problems, applied=False)
        if (problems and not apply_valid) or unreadable(table):
            return _respond(report)
        outcome = await directory.save_units(rt, session, tenant, specs, write=not dry_run)
        _count(report, outcome, applied=not dry_run)
        report.cascaded = outcome.cascaded
    rt.wake_relay()
    return _respond(report)
