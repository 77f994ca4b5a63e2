"""Reading a CSV table and its cells, with errors in Bahasa Indonesia and English.

A table is decoded (UTF-8, BOM fine, Windows-1252 fallback), its delimiter is the one
the header uses most (``,``, ``;`` or tab), header names match aliases case-insensitively,
and every cell is cleaned of Excel's ``'`` text marker. Cell parsers raise
:class:`CellError` naming the column; nothing here knows units or employees
(:mod:`.csv_import` does).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

_TRUE = {"ya", "y", "iya", "1", "true", "benar", "x"}
_FALSE = {"tidak", "tdk", "n", "0", "false", "salah", ""}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class CellError(Exception):
    column: str
    indonesian: str
    english: str
    part: str | None = None


@dataclass(frozen=True)
class Problem:
    row: int
    column: str | None
    message: str
    part: str | None = None


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    delimiter: str = ","


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower().lstrip("\ufeff")).strip("_")


def read_table(text: str, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    """Split a CSV text into ``(row number, {canonical column: value})`` records."""
    table = Table()
    first_line = text.split("\n", 1)[0]
    table.delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        table.problems.append(Problem(1, None, "Berkas kosong / the file is empty"))
        return table
    except csv.Error as exc:
        table.problems.append(Problem(1, None, f"CSV tidak valid / invalid CSV: {exc}"))
        return table
    lookup = {alias: canonical for canonical, names in aliases.items() for alias in names}
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = header_key(raw)
        canonical = lookup.get(key)
        if canonical is None:
            if key:
                table.ignored.append(raw.strip())
            continue
        if canonical in positions:
            table.problems.append(Problem(1, canonical, f"Kolom {canonical!r} muncul dua kali / "
                                                        f"column {canonical!r} appears twice"))
            continue
        positions[canonical] = index
    table.columns = set(positions)
    for name in required:
        if name not in positions:
            table.problems.append(Problem(1, name, f"Kolom wajib {name!r} tidak ada / "
                                                   f"required column {name!r} is missing"))
    if table.problems:
        return table
    row_number = 1
    try:
        for values in reader:
            row_number += 1
            if not any(v.strip() for v in values):
                continue
            if any(_CONTROL.search(v) for v in values):
                table.problems.append(Problem(row_number, None, "Baris berisi karakter kendali (mis. NUL) / "
                                                                "the row contains control characters (e.g. NUL)"))
                continue
            if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
                table.problems.append(Problem(row_number, None, f"Baris berisi {len(values)} kolom, header "
                                              f"{len(header)} / the row has {len(values)} fields, the header "
                                              f"{len(header)}"))
                continue
            table.rows.append((row_number, {
                name: _clean(values[i]) if i < len(values) else "" for name, i in positions.items()
            }))
    except csv.Error as exc:
        table.problems.append(Problem(row_number + 1, None, f"CSV tidak valid / invalid CSV: {exc}"))
    return table


def _clean(value: str) -> str:
    value = value.strip()
    return value[1:].strip() if value.startswith("'") else value


# --- cell parsers ------------------------------------------------------------------


def boolean(column: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise CellError(column, f"{value!r} bukan ya/tidak", f"{value!r} is not yes/no (ya/tidak)")


def number(column: str, value: str, delimiter: str) -> float:
    text = value.replace(" ", "")
    if delimiter == ";" or ("," in text and "." not in text):
        text = text.replace(",", ".")
    try:
        result = float(text)
    except ValueError:
        raise CellError(column, f"{value!r} bukan angka", f"{value!r} is not a number") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise CellError(column, f"{value!r} bukan angka", f"{value!r} is not a number")
    return result


def day(column: str, value: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if 1950 <= parsed.year <= 2200:
            return parsed
    raise CellError(column, f"tanggal {value!r} tidak valid (YYYY-MM-DD atau DD/MM/YYYY)",
                    f"invalid date {value!r} (YYYY-MM-DD or DD/MM/YYYY)")


def code(column: str, value: str) -> str:
    v = value.strip().lower()
    if not _ID.match(v):
        raise CellError(column, f"kode {value!r} tidak valid (huruf kecil, angka, - dan _)",
                        f"invalid code {value!r} (letters, digits, - and _)")
    return v


def text(column: str, value: str, *, required: bool = False, max_length: int = 200) -> str:
    if required and not value:
        raise CellError(column, "wajib diisi", "required")
    if len(value) > max_length:
        raise CellError(column, f"terlalu panjang (maksimal {max_length})", f"too long (at most {max_length})")
    return value
