"""Reading the CSV files personnel systems (SIMPEG, SIASN exports) produce.

Format, for both files:

- UTF-8 (a BOM is fine; Windows-1252 is accepted as a fallback), one header row;
  the delimiter is ``,``, ``;`` (Excel with Indonesian settings) or a tab,
  whichever the header uses most. Header names are matched case-insensitively,
  spaces and dashes read as ``_``; the aliases below are accepted; other columns
  are ignored and listed in the report (``ignored_columns``).
- Row numbers are those a spreadsheet shows: the header is row 1. Empty rows are
  skipped. A value may start with ``'`` (Excel's "text" marker); it is dropped.
- Booleans: ``ya``/``y``/``iya``/``1``/``true``/``benar``/``x`` or
  ``tidak``/``tdk``/``n``/``0``/``false``/``salah``/empty.
- Decimals may use a comma when the delimiter is ``;`` (``-6,1202``).
- Unit codes are lower-cased (``DINKES`` → ``dinkes``); ids are ``[a-z0-9_-]``.
- A column that is absent keeps what is stored (e.g. no ``email`` column leaves
  e-mails alone); a column that is present but empty clears an optional value.

Units (``POST /v1/imports/units``)::

    kode,nama,jenis,induk,sektor,aktif
    dinkes,Dinas Kesehatan,dinas,,kritis,ya
    uptd-labkes,UPTD Laboratorium Kesehatan,upt,dinkes,,ya

``kode`` (alias ``kode_unit``, ``id``) and ``nama`` are required. ``jenis``:
``dinas``/``badan``/``opd``/``department``, ``cabang``/``branch``, ``balai``,
``upt``/``uptd``, ``lainnya``/``other`` (default ``department``). ``induk``: the
parent's code, in the file or already stored. ``sektor``: ``kritis``/``critical``,
``esensial``/``essential``, ``non_esensial``/``non_essential``; empty: inherit.

Employees (``POST /v1/imports/employees``)::

    nip,nama,jabatan,unit,guru,pelayanan,kepala,aktif,email,telepon,rumah_lat,rumah_lon
    198503122010011003,Siti Aminah,Analis SDM,bkd,tidak,tidak,tidak,ya,siti@bantenprov.go.id,0812345678,-6.12,106.15

Required: ``nip`` (18 digits, spaces allowed; errors name the bad part),
``nama``, ``unit`` (aliases ``kode_unit``, ``unit_kerja``, ``opd``; must exist).
Optional: ``jabatan``, ``guru`` (teacher), ``pelayanan`` (front-line service),
``kepala`` (unit head), ``aktif`` (default ``ya``), ``email``, ``telepon``
(``+62``/``0`` and digits; spaces and dashes dropped), ``rumah_lat``,
``rumah_lon``, ``rumah_radius`` (the home place "Rumah"), ``kantor_lat``,
``kantor_lon``, ``kantor_radius`` (the office place "Kantor") and
``berlaku_mulai`` (``YYYY-MM-DD`` or ``DD/MM/YYYY``: the day from which changed
coordinates apply; default today). Coordinates that differ from the place in
force move it from that day (the old version is kept, closed the day before).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

from services.contracts.events import EmployeeRecord, Place, UnitKind
from services.contracts.policy import Sector
from services.policy.domain.csv_cells import (
    CellError,
    Problem,
    Table,
    boolean,
    code,
    day,
    decode,
    header_key,
    number,
    read_table,
    text,
)
from services.policy.domain.nip import NipError, parse_nip
from services.policy.domain.places import set_place

__all__ = ["CellError", "EmployeeRow", "Problem", "Table", "UnitRow", "boolean", "decode", "employee_row",
           "parse_employees", "parse_units", "read_table", "target_record", "unit_row", "unreadable"]

MAX_BYTES = 20 * 1024 * 1024

EMPLOYEE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip_baru", "nomor_induk_pegawai"),
    "nama": ("nama", "nama_lengkap", "nama_pegawai"),
    "jabatan": ("jabatan", "nama_jabatan"),
    "unit": ("unit", "kode_unit", "unit_kerja", "kode_opd", "opd"),
    "guru": ("guru",),
    "pelayanan": ("pelayanan", "layanan", "garda_depan"),
    "kepala": ("kepala", "kepala_unit", "pimpinan"),
    "aktif": ("aktif", "status_aktif"),
    "email": ("email", "e_mail", "surel"),
    "telepon": ("telepon", "telp", "hp", "no_hp", "nomor_hp", "whatsapp"),
    "rumah_lat": ("rumah_lat", "rumah_lintang"),
    "rumah_lon": ("rumah_lon", "rumah_lng", "rumah_long", "rumah_bujur"),
    "rumah_radius": ("rumah_radius",),
    "kantor_lat": ("kantor_lat", "kantor_lintang"),
    "kantor_lon": ("kantor_lon", "kantor_lng", "kantor_long", "kantor_bujur"),
    "kantor_radius": ("kantor_radius",),
    "berlaku_mulai": ("berlaku_mulai", "tmt_lokasi"),
}
EMPLOYEE_REQUIRED = ("nip", "nama", "unit")

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "kode": ("kode", "kode_unit", "id"),
    "nama": ("nama", "nama_unit"),
    "jenis": ("jenis", "tipe", "jenis_unit"),
    "induk": ("induk", "kode_induk", "parent"),
    "sektor": ("sektor", "kategori"),
    "aktif": ("aktif", "status_aktif"),
}
UNIT_REQUIRED = ("kode", "nama")

_KINDS: dict[str, UnitKind] = {
    "dinas": "department", "badan": "department", "opd": "department", "department": "department",
    "sekretariat": "department", "kecamatan": "department", "cabang": "branch", "branch": "branch",
    "cabang_dinas": "branch", "balai": "balai", "upt": "upt", "uptd": "upt", "lainnya": "other", "other": "other",
}
_SECTORS = {
    "kritis": Sector.CRITICAL, "critical": Sector.CRITICAL,
    "esensial": Sector.ESSENTIAL, "essential": Sector.ESSENTIAL,
    "non_esensial": Sector.NON_ESSENTIAL, "nonesensial": Sector.NON_ESSENTIAL,
    "non_essential": Sector.NON_ESSENTIAL, "non_kritis": Sector.NON_ESSENTIAL,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{6,20}$")


# --- rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceCells:
    name: str
    kind: Literal["home", "office"]
    latitude: float
    longitude: float
    radius_m: float | None


@dataclass(frozen=True)
class EmployeeRow:
    """A valid employee row; ``fields`` holds only the columns the file has."""

    nip: str
    fields: dict[str, Any]
    places: tuple[PlaceCells, ...] = ()
    places_from: date | None = None


def _place(row: Mapping[str, str], prefix: str, name: str, kind: Literal["home", "office"],
           delimiter: str) -> PlaceCells | None:
    lat_raw, lon_raw = row.get(f"{prefix}_lat", ""), row.get(f"{prefix}_lon", "")
    if not lat_raw and not lon_raw:
        return None
    if not lat_raw or not lon_raw:
        missing = f"{prefix}_lat" if not lat_raw else f"{prefix}_lon"
        raise CellError(missing, "lintang dan bujur harus diisi berdua", "latitude and longitude go together")
    lat = number(f"{prefix}_lat", lat_raw, delimiter)
    lon = number(f"{prefix}_lon", lon_raw, delimiter)
    if not -90 <= lat <= 90:
        raise CellError(f"{prefix}_lat", f"lintang {lat} di luar -90..90", f"latitude {lat} outside -90..90")
    if not -180 <= lon <= 180:
        raise CellError(f"{prefix}_lon", f"bujur {lon} di luar -180..180", f"longitude {lon} outside -180..180")
    radius = None
    if row.get(f"{prefix}_radius"):
        radius = number(f"{prefix}_radius", row[f"{prefix}_radius"], delimiter)
        if not 0 < radius <= 50_000:
            raise CellError(f"{prefix}_radius", "radius harus 0-50000 m", "radius must be within 0-50000 m")
    return PlaceCells(name, kind, lat, lon, radius)


def _collect(parsers: list[Callable[[], None]]) -> list[CellError]:
    errors: list[CellError] = []
    for parse in parsers:
        try:
            parse()
        except CellError as exc:
            errors.append(exc)
    return errors


def employee_row(row: Mapping[str, str], delimiter: str, today: date) -> tuple[EmployeeRow | None, list[CellError]]:
    """Validate one employee row; every bad cell is reported, not only the first."""
    out: dict[str, Any] = {}
    state: dict[str, Any] = {}

    def nip() -> None:
        try:
            state["nip"] = str(parse_nip(row["nip"], today=today))
        except NipError as exc:
            indonesian, _, english = exc.message.partition(" / ")
            raise CellError("nip", f"NIP bagian {exc.part}: {indonesian}",
                            f"NIP part {exc.part}: {english or indonesian}", exc.part) from None

    def simple(column: str, target: str, parse: Callable[[str], Any]) -> Callable[[], None]:
        def run() -> None:
            if column in row:
                out[target] = parse(row[column])
        return run

    def email(value: str) -> str | None:
        if value and not _EMAIL.match(value):
            raise CellError("email", f"e-mail {value!r} tidak valid", f"invalid e-mail {value!r}")
        return text("email", value, max_length=320) or None

    def phone(value: str) -> str | None:
        digits = re.sub(r"[\s\-().]", "", value)
        if digits and not _PHONE.match(digits):
            raise CellError("telepon", f"nomor {value!r} tidak valid", f"invalid phone number {value!r}")
        return digits or None

    def places() -> None:
        found = []
        for prefix, name, kind in (("rumah", "Rumah", "home"), ("kantor", "Kantor", "office")):
            cells = _place(row, prefix, name, kind, delimiter)  # type: ignore[arg-type]
            if cells is not None:
                found.append(cells)
        state["places"] = tuple(found)

    def since() -> None:
        if row.get("berlaku_mulai"):
            state["from"] = day("berlaku_mulai", row["berlaku_mulai"])

    errors = _collect([
        nip,
        simple("nama", "name", lambda v: text("nama", v, required=True)),
        simple("jabatan", "position", lambda v: text("jabatan", v)),
        simple("unit", "unit_id", lambda v: code("unit", v)),
        simple("guru", "is_teacher", lambda v: boolean("guru", v)),
        simple("pelayanan", "is_front_line", lambda v: boolean("pelayanan", v)),
        simple("kepala", "is_unit_head", lambda v: boolean("kepala", v)),
        simple("aktif", "active", lambda v: boolean("aktif", v or "ya")),
        simple("email", "email", email),
        simple("telepon", "phone", phone),
        places,
        since,
    ])
    if errors:
        return None, errors
    return EmployeeRow(state["nip"], out, state["places"], state.get("from")), []


@dataclass(frozen=True)
class UnitRow:
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None
    sector: Sector | None
    active: bool


def unit_row(row: Mapping[str, str]) -> tuple[UnitRow | None, list[CellError]]:
    out: dict[str, Any] = {}

    def kind() -> None:
        value = header_key(row.get("jenis", ""))
        if value and value not in _KINDS:
            raise CellError("jenis", f"jenis {row['jenis']!r} tidak dikenal (dinas, cabang, balai, upt, lainnya)",
                            f"unknown unit kind {row['jenis']!r} (department, branch, balai, upt, other)")
        out["kind"] = _KINDS[value] if value else "department"

    def sector() -> None:
        value = header_key(row.get("sektor", ""))
        if value and value not in _SECTORS:
            raise CellError("sektor", f"sektor {row['sektor']!r} tidak dikenal (kritis, esensial, non_esensial)",
                            f"unknown sector {row['sektor']!r} (critical, essential, non_essential)")
        out["sector"] = _SECTORS[value] if value else None

    def parent() -> None:
        out["parent_id"] = code("induk", row["induk"]) if row.get("induk") else None

    errors = _collect([
        lambda: out.__setitem__("id", code("kode", row["kode"])),
        lambda: out.__setitem__("name", text("nama", row["nama"], required=True)),
        kind, sector, parent,
        lambda: out.__setitem__("active", boolean("aktif", row.get("aktif", "") or "ya")),
    ])
    if errors:
        return None, errors
    return UnitRow(**out), []


# --- files -------------------------------------------------------------------------

R = TypeVar("R")


def _problem(row: int, error: CellError) -> Problem:
    return Problem(row, error.column, f"{error.indonesian} / {error.english}", error.part)


def _unique_rows(table: Table, parse: Callable[[dict[str, str]], tuple[R | None, list[Any]]],
                 key: Callable[[R], str], column: str,
                 label: tuple[str, str]) -> tuple[list[tuple[int, R]], list[Problem]]:
    """Parse every row; report bad cells and a key seen on an earlier row (by row number)."""
    problems = list(table.problems)
    good: list[tuple[int, R]] = []
    first_row: dict[str, int] = {}
    for line, cells in table.rows:
        row, errors = parse(cells)
        problems.extend(_problem(line, e) for e in errors)
        if row is None:
            continue
        seen = first_row.setdefault(key(row), line)
        if seen != line:
            problems.append(Problem(line, column, f"{label[0]} ganda, sudah ada di baris {seen} / "
                                                  f"duplicate {label[1]}, already on row {seen}"))
            continue
        good.append((line, row))
    return good, problems


def parse_employees(data: bytes, today: date) -> tuple[Table, list[tuple[int, EmployeeRow]], list[Problem]]:
    table = read_table(decode(data), EMPLOYEE_COLUMNS, EMPLOYEE_REQUIRED)
    good, problems = _unique_rows(table, lambda cells: employee_row(cells, table.delimiter, today),
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
    table = read_table(decode(data), UNIT_COLUMNS, UNIT_REQUIRED)
    good, problems = _unique_rows(table, unit_row, lambda row: row.id, "kode", ("kode", "code"))
    return table, good, problems


def unreadable(table: Table) -> bool:
    """A problem with the file as a whole (header row): nothing can be applied."""
    return any(p.row <= 1 for p in table.problems)
