"""The data-subject download (UU PDP 27/2022, the right of access): what one service holds about
the caller, as JSON or CSV, in one form every service shares.

Each service answers ``GET /v1/me/export?format=json|csv`` with its own sections (its data never
leaves it over Kafka); docs/privacy.md lists the four parts and what each holds. The JSON is
``{"service", "tenant", "employee_id", "generated_at", "sections": {name: [record, …]}}`` with every
section present, empty or not. The CSV is one long table, ``section, record, field, value``: one row
per field of each record (nested values as JSON), written by :mod:`.csv_export` (no cell becomes a
formula), so one file holds sections of any shape.

Guarantee: a section holds only what the service found under the caller's own tenant and NIP (the
service's query, not this module, selects); nothing here adds or drops a record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Query, Response
from pydantic import BaseModel
from sqlalchemy import DateTime
from sqlalchemy import inspect as sa_inspect

from services.runtime.csv_export import to_csv

Format = Literal["json", "csv"]
FormatQuery = Annotated[Format, Query(description="json (one document) or csv (section, record, field, value)")]
CSV_HEADERS = ("section", "record", "field", "value")
# The OpenAPI responses of every service's ``GET /v1/me/export`` (its caller: services.runtime.data_subject).
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "the download"},
    403: {"description": "not an employee, or the token carries no NIP"}}


@dataclass(frozen=True)
class SelfExport:
    """What one service holds about one employee, section by section."""

    service: str
    tenant: str
    employee_id: str
    generated_at: datetime
    sections: Mapping[str, Sequence[Mapping[str, Any] | BaseModel]] = field(default_factory=dict)

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """The sections as plain JSON-ready records."""
        return {name: [_plain(r) for r in rows] for name, rows in self.sections.items()}

    def as_json(self) -> bytes:
        return json.dumps({
            "service": self.service, "tenant": self.tenant, "employee_id": self.employee_id,
            "generated_at": self.generated_at.isoformat(), "sections": self.records(),
        }, ensure_ascii=False, indent=1, default=_default).encode()

    def as_csv(self) -> bytes:
        rows: list[tuple[Any, ...]] = [("_export", 0, key, value) for key, value in (
            ("service", self.service), ("tenant", self.tenant), ("employee_id", self.employee_id),
            ("generated_at", self.generated_at.isoformat()))]
        for name, records in self.records().items():
            for index, record in enumerate(records, start=1):
                rows.extend((name, index, key, _cell(value)) for key, value in record.items())
        return to_csv(CSV_HEADERS, rows)


def response(export: SelfExport, fmt: Format) -> Response:
    """The download: ``hadir-<service>-<nip>-<date>.<fmt>`` (anything but letters, digits and
    ``_.-`` in the name becomes ``-``: the NIP is a token's claim), never cached."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"hadir-{export.service}-{export.employee_id}")
    name = f"{stem}-{export.generated_at.date().isoformat()}.{fmt}"
    body, media = ((export.as_json(), "application/json") if fmt == "json"
                   else (export.as_csv(), "text/csv; charset=utf-8"))
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def times(name: str, instant: datetime | None, tz: str) -> dict[str, str | None]:
    """An instant as two fields: ``name`` in UTC and ``name_local`` on the tenant's clock (ISO
    8601 with offsets; a naive value is UTC, as SQLite hands stored instants back)."""
    if instant is None:
        return {name: None, f"{name}_local": None}
    utc = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return {name: utc.isoformat(), f"{name}_local": utc.astimezone(ZoneInfo(tz)).isoformat()}


def row_record(row: Any, tz: str, *, omit: Collection[str] = ("tenant",)) -> dict[str, Any]:
    """A stored row (a mapped object) as an export record: every column but ``omit``, in the
    table's order, each instant column as the two fields of :func:`times`."""
    out: dict[str, Any] = {}
    for column in sa_inspect(row).mapper.columns:
        if column.key in omit:
            continue
        value = getattr(row, column.key)
        out.update(times(column.key, value, tz) if _is_instant(column) else {column.key: value})
    return out


def _is_instant(column: Any) -> bool:
    return isinstance(getattr(column.type, "impl_instance", column.type), DateTime)  # a TypeDecorator's own type


def _plain(record: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json")
    return json.loads(json.dumps(dict(record), default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
