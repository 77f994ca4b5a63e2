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
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.parser import BytesParser
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.contracts.events import EmployeeRecord, Place
from services.contracts.policy import local_date
from services.policy import csv_import, directory
from services.policy.csv_import import EmployeeRow, Problem, Table, UnitRow
from services.policy.directory import UnitSpec
from services.policy.directory_api import tenant_zone
from services.policy.domain.places import set_place
from services.policy.schemas import ImportReport, RowError
from services.runtime.auth import Principal
from services.runtime.errors import VALIDATION_RESPONSES, FieldError, error, invalid, make, text
from services.runtime.service import ServiceRuntime

CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel")

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}},
            },
        },
    },
}

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


def _problem(row: int, error: csv_import.CellError) -> Problem:
    return Problem(row, error.column, f"{error.indonesian} / {error.english}", error.part)


def _report(kind: str, table: Table, valid: int, problems: list[Problem], **counts: Any) -> ImportReport:
    rows = len(table.rows) + sum(1 for p in table.problems if p.row > 1)
    errors = [RowError(row=p.row, column=p.column, part=p.part, message=p.message)
              for p in sorted(problems, key=lambda p: (p.row, p.column or ""))]
    return ImportReport(kind=kind, rows=rows, valid=valid, invalid=len({p.row for p in problems if p.row > 1}),  # type: ignore[arg-type]
                        errors=errors, ignored_columns=table.ignored, **counts)


def _respond(report: ImportReport) -> JSONResponse | ImportReport:
    if report.errors and not report.applied:
        report.detail = [make(["body", "file"], "bad_rows", text("bad_rows"))]
        return JSONResponse(report.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return report


R = TypeVar("R")


def _unique_rows(table: Table, parse: Callable[[dict[str, str]], tuple[R | None, list[Any]]],
                 key: Callable[[R], str], column: str,
                 label: tuple[str, str]) -> tuple[list[tuple[int, R]], list[Problem]]:
    """Parse every row; report bad cells and a key seen on an earlier row (by row number)."""
    problems = list(table.problems)
    good: list[tuple[int, R]] = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        row, errors = parse(cells)
        problems.extend(_problem(number, e) for e in errors)
        if row is None:
            continue
        seen = first_row.setdefault(key(row), number)
        if seen != number:
            problems.append(Problem(number, column, f"{label[0]} ganda, sudah ada di baris {seen} / "
                                                    f"duplicate {label[1]}, already on row {seen}"))
            continue
        good.append((number, row))
    return good, problems


def parse_employees(data: bytes, today: date) -> tuple[Table, list[tuple[int, EmployeeRow]], list[Problem]]:
    table = csv_import.read_table(csv_import.decode(data), csv_import.EMPLOYEE_COLUMNS,
                                  csv_import.EMPLOYEE_REQUIRED)
    good, problems = _unique_rows(table, lambda cells: csv_import.employee_row(cells, table.delimiter, today),
                                  lambda row: row.nip, "nip", ("NIP", "NIP"))
    return table, good, problems


def target_record(row: EmployeeRow, existing: EmployeeRecord | None, today: date) -> EmployeeRecord:
    """The employee as the file says, keeping what its absent columns do not mention."""
    base: dict[str, Any] = existing.model_dump() if existing else {
        "nip": row.nip, "position": "", "is_teacher": False, "is_front_line": False, "is_unit_head": False,
        "active": True, "email": None, "phone": None, "places": [],
    }
    base.update(row.fields)
    places = list(existing.places) if existing else []
    for cells in row.places:
        start = row.places_from or (today if any(p.name == cells.name for p in places) else None)
        place = Place(name=cells.name, kind=cells.kind, latitude=cells.latitude, longitude=cells.longitude,
                      radius_m=cells.radius_m)
        places = set_place(places, place, start)
    base["places"] = places
    return EmployeeRecord.model_validate(base)


def parse_units(data: bytes) -> tuple[Table, list[tuple[int, UnitRow]], list[Problem]]:
    table = csv_import.read_table(csv_import.decode(data), csv_import.UNIT_COLUMNS, csv_import.UNIT_REQUIRED)
    good, problems = _unique_rows(table, csv_import.unit_row, lambda row: row.id, "kode", ("kode", "code"))
    return table, good, problems


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1/imports", tags=["imports"], responses={
        **VALIDATION_RESPONSES,
        413: {"description": "file larger than 20 MB"},
        415: {"description": "not text/csv nor multipart/form-data"},
    })
    Admin = Annotated[Principal, Depends(rt.role("tenant_admin"))]
    bad_file: dict[int | str, dict[str, Any]] = {
        422: {"model": ImportReport | InvalidUpload,
              "description": "bad rows, nothing applied (an ImportReport, see `errors`); or no usable upload "
                             "(`detail` names the field)"}}

    @router.post("/employees", response_model=ImportReport, responses=bad_file, openapi_extra=UPLOAD_BODY,
                 summary="Import employees from a CSV file",
                 description=(csv_import.__doc__ or "") + "\n\n" + (__doc__ or ""))
    async def import_employees(request: Request, principal: Admin, apply_valid: ApplyValid = False,
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
            if (problems and not apply_valid) or _unreadable(table):
                return _respond(report)
            before = await directory.employee_records(session, tenant, [r.nip for r in valid])
            targets = [target_record(r, before.get(r.nip), today) for r in valid]
            outcome = await directory.save_employees(rt, session, tenant, targets, before, write=not dry_run)
            report.applied = not dry_run
            report.created, report.updated, report.unchanged = outcome.created, outcome.updated, outcome.unchanged
            report.published = outcome.published
        rt.wake_relay()
        return _respond(report)

    @router.post("/units", response_model=ImportReport, responses=bad_file, openapi_extra=UPLOAD_BODY,
                 summary="Import units (OPD tree) from a CSV file",
                 description=(csv_import.__doc__ or "") + "\n\n" + (__doc__ or ""))
    async def import_units(request: Request, principal: Admin, apply_valid: ApplyValid = False,
                           dry_run: DryRun = False) -> Any:
        tenant = principal.require_tenant()
        data = await read_upload(request)
        table, good, problems = await asyncio.to_thread(parse_units, data)
        async with rt.sessions() as session, session.begin():
            rows = await directory.unit_rows(session, tenant)
            specs = [UnitSpec(r.id, r.name, r.kind, r.parent_id, r.sector, r.active) for _, r in good]
            tree = directory.tree_problems({i: u.parent_id for i, u in rows.items()}, specs)
            numbers = {r.id: n for n, r in good}
            problems += [Problem(numbers[i], "induk", f"{ind} / {en}") for i, (ind, en) in tree.items()]
            specs = [s for s in specs if s.id not in tree]
            report = _report("units", table, len(specs), problems, applied=False)
            if (problems and not apply_valid) or _unreadable(table):
                return _respond(report)
            outcome = await directory.save_units(rt, session, tenant, specs, write=not dry_run)
            report.applied = not dry_run
            report.created, report.updated, report.unchanged = outcome.created, outcome.updated, outcome.unchanged
            report.cascaded, report.published = outcome.cascaded, outcome.published
        rt.wake_relay()
        return _respond(report)

    return router


def _unreadable(table: Table) -> bool:
    """A problem with the file as a whole (header row): nothing can be applied."""
    return any(p.row <= 1 for p in table.problems)
