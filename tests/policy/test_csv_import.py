"""Reading personnel CSV exports (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from services.policy.domain import csv_import
from services.policy.domain.csv_import import EMPLOYEE_COLUMNS, EMPLOYEE_REQUIRED, employee_row, read_table, unit_row

TODAY = date(2026, 3, 2)


def table(text: str):
    return read_table(text, EMPLOYEE_COLUMNS, EMPLOYEE_REQUIRED)


def test_semicolon_files_with_comma_decimals_aliases_and_a_bom():
    t = table("\ufeffNIP;Nama Lengkap;Unit Kerja;Rumah Lat;Rumah Lng;Golongan\n"
              "'198503122010011003;Siti;BKD;-6,12;106,15;III/a\n")
    assert (t.delimiter, t.ignored, t.problems) == (";", ["Golongan"], [])
    [(number, cells)] = t.rows
    row, errors = employee_row(cells, t.delimiter, TODAY)
    assert number == 2 and errors == []
    assert row is not None
    assert (row.nip, row.fields["unit_id"], row.places[0].latitude, row.places[0].longitude) == (
        "198503122010011003", "bkd", -6.12, 106.15)


def test_every_bad_cell_of_a_row_is_reported_with_its_column():
    t = table("nip,nama,unit,guru,email,rumah_lat\n1985031220100110,,Unit Kerja!,t,x@,-6.1\n")
    row, errors = employee_row(t.rows[0][1], t.delimiter, TODAY)
    assert row is None
    assert {(e.column, e.part) for e in errors} == {
        ("nip", "length"), ("nama", None), ("unit", None), ("guru", None), ("email", None), ("rumah_lon", None)}


@pytest.mark.parametrize(("value", "expected"), [
    ("ya", True), ("Y", True), ("1", True), ("x", True), ("tidak", False), ("", False), ("0", False)])
def test_booleans(value, expected):
    assert csv_import.boolean("guru", value) is expected


def test_ambiguous_booleans_are_rejected():
    with pytest.raises(csv_import.CellError):
        csv_import.boolean("guru", "t")


def test_row_numbers_count_the_header_blank_lines_and_quoted_newlines_like_a_spreadsheet():
    t = table('nip,nama,unit\n1,"Nama\ndua baris",bkd\n\n2,B,bkd\n')
    assert [n for n, _ in t.rows] == [2, 4]


def test_header_problems_stop_the_file():
    t = table("nama,nama,unit\nA,B,bkd\n")
    assert {(p.row, p.column) for p in t.problems} == {(1, "nama"), (1, "nip")}
    assert t.rows == []


def test_unit_rows_map_indonesian_kinds_and_sectors():
    t = read_table("kode,nama,jenis,induk,sektor\nUPT-1,UPT Satu,UPTD,DINKES,Non Esensial\n",
                   csv_import.UNIT_COLUMNS, csv_import.UNIT_REQUIRED)
    row, errors = unit_row(t.rows[0][1])
    assert errors == [] and row is not None
    assert (row.id, row.kind, row.parent_id, row.sector) == ("upt-1", "upt", "dinkes", "non_essential")
    row, errors = unit_row({"kode": "x", "nama": "X", "jenis": "kantor", "sektor": "vital"})
    assert row is None and {e.column for e in errors} == {"jenis", "sektor"}
