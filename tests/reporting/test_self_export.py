"""Reporting's part of the data-subject download (``GET /v1/me/export``) and need to know on
its read paths, on a real PostgreSQL: a month-end day with verdicts, overdue closures, a roster,
the month's scores and a unit head's sign-off.

- The export of each of two employees holds every section, each with their own records and
  nothing of the other (JSON and CSV).
- A unit head's every GET route (found in the OpenAPI document, so a new one is not
  forgotten; every export format and sheet; the dashboard's JSON) shows no coordinates.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.contracts.events import DirectoryContact
from services.contracts.policy import Sector
from services.reporting import api, web
from tests.reporting.conftest import OVERDUE, K, apply, at, nip, outbox_events, roster, seed, verdict
from tests.support.tokens import Tokens

LAST = date(2026, 3, 31)  # the month's last day: its scores are made once its windows closed
TENANT = "pandeglang"
HEAD, CLERK = nip(71), nip(72)
ELSEWHERE = "lebak"
FOREIGN = verdict(CLERK, "lokasi", "on_time", captured=at(8, 30, 0, LAST), day=LAST)  # in ELSEWHERE
SECTIONS = ["profile", "contacts", "rosters", "evaluations", "ledger", "monthly_scores", "verifications", "absences",
            "corrections", "reviews", "month_comments", "sample_marks"]
UNUSED = {"absences", "corrections", "reviews"}  # no decision on anyone's days here

# What a unit head gets from each GET route. A route missing here fails the test: decide what a
# unit head may read there before adding it.
HEAD_GETS = {
    "/v1/reports/daily": 200, "/v1/reports/daily/rows": 200, "/v1/reports/daily/export": 200,
    "/v1/reports/overdue": 200,
    "/v1/reports/monthly": 200, "/v1/reports/monthly/export": 200, "/v1/reports/score-weights": 200,
    "/v1/reports/verifications": 200, "/v1/reports/audit": 403, "/v1/reports/national": 403,
    "/v1/me/export": 200, "/dashboard/api/context": 200, "/dashboard/api/trend": 200,
    "/dashboard/api/missing-now": 200,
    "/dashboard/api/day": 200, "/dashboard/api/checkins": 200,  # distances and place names, no coordinates
    "/v1/reports/monthly/{month}/units/{unit_id}/summary": 200, "/v1/reports/monthly/{month}/closings": 403,
    "/v1/reports/sampling": 403, "/v1/reports/daily/{date}/sample": 403,
}
PHONES = {HEAD: "081211110071", CLERK: "081222220072"}
PHONE_ELSEWHERE = "081233330072"  # the clerk's NIP in the other tenant
PATH = {"{date}": str(LAST), "{month}": "2026-03", "{unit_id}": "bkd"}


async def month_end(reporting: Any) -> httpx.AsyncClient:
    """The tenant's last day of March, closed and evaluated; a client of the reporting routes."""
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, TENANT, employees=[(HEAD, "bkd"), (CLERK, "bkd")], sectors={"bkd": Sector.NON_ESSENTIAL},
               effective_at=at(0, 0, 0, LAST - timedelta(days=1)))
    await apply(rt, TENANT, roster("bkd", {HEAD: "wfh", CLERK: "wfh"}, day=LAST),
                *(DirectoryContact(nip=n, email=f"{n}@{TENANT}.go.id", phone=p) for n, p in PHONES.items()))
    await apply(rt, TENANT,
                verdict(HEAD, "apel", "on_time", captured=at(7, 5, 0, LAST), kind=K.ATTENDANCE, day=LAST),
                verdict(CLERK, "lokasi", "late", captured=at(9, 20, 0, LAST), late_minutes=20, day=LAST,
                        geofence="outside", suspicious=True))
    await seed(rt, ELSEWHERE, employees=[(CLERK, "bkd")], sectors={"bkd": Sector.NON_ESSENTIAL},
               effective_at=at(0, 0, 0, LAST - timedelta(days=1)))  # the same NIP in another tenant
    await apply(rt, ELSEWHERE, FOREIGN, DirectoryContact(nip=CLERK, phone=PHONE_ELSEWHERE))
    for moment in (at(7, 40, 0, LAST), at(7, 45, 11, LAST), at(9, 8, 0, LAST), at(9, 15, 11, LAST)):
        await scheduler.scan(moment)  # reminders, then the overdue closures; the month closes after the last
    notices = {(subject, p["window_id"]) for subject, p in await outbox_events(rt, OVERDUE)}
    assert {(CLERK, "apel"), (HEAD, "lokasi")} <= notices
    app = FastAPI()
    app.state.runtime = rt
    for router in [*api.ROUTERS, web.router]:  # what app.py includes
        app.include_router(router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting")


def tokens_of(reporting: Any) -> Tokens:
    return Tokens(Path(reporting.rt.settings.jwt_jwks_file).with_name("private.pem"))


def head_headers(tokens: Tokens) -> dict[str, str]:
    return tokens.headers(tenant=TENANT, roles=["unit_head"], nip=HEAD, unit="bkd", subject=f"head@{TENANT}")


async def test_each_export_holds_every_section_of_its_employee_and_nothing_of_another(reporting) -> None:  # type: ignore[no-untyped-def]
    tokens = tokens_of(reporting)
    async with await month_end(reporting) as client:
        signed = await client.post("/v1/reports/verifications", headers=head_headers(tokens),
                                   json={"unit_id": "bkd", "date": str(LAST), "note": "Sesuai"})
        assert signed.status_code == 201, signed.text
        closed = await client.post("/v1/reports/monthly/2026-03/units/bkd/close", headers=head_headers(tokens),
                                   json={"comment": "Bulan ini cukup", "employees": [
                                       {"nip": HEAD, "comment": "Pertahankan"},
                                       {"nip": CLERK, "comment": "Perbaiki lapor lokasi"}]})
        assert closed.status_code == 201, closed.text
        drawn = await client.get(f"/v1/reports/daily/{LAST}/sample", headers=tokens.admin(TENANT))
        [item] = [i for u in drawn.json()["units"] for i in u["items"]]
        marked = await client.post(f"/v1/reports/samples/{item['checkin_id']}/mark", headers=tokens.admin(TENANT),
                                   json={"result": "rejected", "note": "Di luar kantor"})
        assert marked.status_code == 201, marked.text
        exports = {}
        for who, headers in ((HEAD, head_headers(tokens)), (CLERK, tokens.employee(TENANT, CLERK, "bkd"))):
            response = await client.get("/v1/me/export", headers=headers)
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "no-store"
            exports[who] = response
            as_csv = await client.get("/v1/me/export", headers=headers, params={"format": "csv"})
            assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
            table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
            in_csv = {row[0] for row in table[1:]}
            assert in_csv == {"_export", *SECTIONS} - UNUSED - ({"verifications"} if who == CLERK else {"sample_marks"})
            assert (HEAD if who == CLERK else CLERK) not in as_csv.text

    head, clerk = (exports[n].json() for n in (HEAD, CLERK))
    for who, export, other in ((HEAD, head, CLERK), (CLERK, clerk, HEAD)):
        assert (export["service"], export["tenant"], export["employee_id"]) == ("reporting", TENANT, who)
        assert list(export["sections"]) == SECTIONS, "every section, in order, empty or not"
        assert other not in exports[who].text, f"the export of {who} shows {other}"
        assert str(FOREIGN.checkin_id) not in exports[who].text and ELSEWHERE not in exports[who].text
        sections = export["sections"]
        assert [p["nip"] for p in sections["profile"]] == [who]
        assert [(c["nip"], c["phone"]) for c in sections["contacts"]] == [(who, PHONES[who])], "the phone alone"
        assert PHONES[other] not in exports[who].text and PHONE_ELSEWHERE not in exports[who].text
        assert [(r["day"], r["mode"]) for r in sections["rosters"]] == [(str(LAST), "wfh")]
        assert {r["nip"] for r in sections["ledger"]} == {who} and len(sections["ledger"]) >= 2
        assert [(s["nip"], s["month"]) for s in sections["monthly_scores"]] == [(who, "2026-03-01")]
    assert [e["status"] for e in head["sections"]["evaluations"]] == ["on_time"]
    [late] = clerk["sections"]["evaluations"]
    assert (late["status"], late["late_minutes"], late["geofence"], late["suspicious"]) == (
        "late", 20, "outside", True)
    assert late["captured_at_local"].endswith("+07:00") and late["captured_at"].endswith("+00:00")
    ledger = {(r["day"], r["window_id"]): r for r in clerk["sections"]["ledger"]}
    assert (ledger[(str(LAST), "apel")]["status"], ledger[(str(LAST), "apel")]["overdue"]) == ("missing", True)
    assert ledger[(str(LAST), "lokasi")]["status"] == "late"
    assert ledger[(str(LAST), "apel")]["deadline_local"] == "2026-03-31T07:45:00+07:00"
    assert [(v["day"], v["unit_id"], v["verified_nip"], v["note"]) for v in head["sections"]["verifications"]] == [
        (str(LAST), "bkd", HEAD, "Sesuai")]
    assert clerk["sections"]["verifications"] == []
    assert [(c["nip"], c["comment"]) for c in clerk["sections"]["month_comments"]] == [(CLERK, "Perbaiki lapor lokasi")]
    assert [(m["nip"], m["result"]) for m in clerk["sections"]["sample_marks"]] == [(CLERK, "rejected")]
    assert head["sections"]["sample_marks"] == []


@pytest.mark.parametrize(("claims", "expected"), [
    ({"roles": ["employee"]}, "missing_nip"), ({"roles": ["tenant_admin"], "nip": CLERK}, "role_required"),
    ({"roles": ["national_viewer"], "nip": CLERK}, "role_required")])
async def test_an_export_needs_an_employee_with_a_nip(reporting, claims: dict[str, Any], expected: str) -> None:  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.state.runtime = reporting.rt
    app.include_router(api.me_export.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        response = await client.get("/v1/me/export", headers=tokens_of(reporting).headers(tenant=TENANT, **claims))
    assert response.status_code == 403 and response.json()["detail"][0]["type"] == expected


def text_of(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(name).decode() for name in book.namelist())
    return response.text


async def test_no_read_of_a_unit_head_carries_coordinates(reporting) -> None:  # type: ignore[no-untyped-def]
    head = head_headers(tokens_of(reporting))
    async with await month_end(reporting) as client:
        spec = (await client.get("/openapi.json")).json()
        gets = {path: op["get"] for path, op in spec["paths"].items() if "get" in op}
        assert sorted(gets) == sorted(HEAD_GETS), "every GET route of the service is in HEAD_GETS"
        tried = 0
        for path, op in gets.items():
            choices = {p["name"]: p["schema"]["enum"] for p in op.get("parameters", [])
                       if p["in"] == "query" and "enum" in p.get("schema", {})}
            for combo in itertools.product(*choices.values()):
                params = {"date": str(LAST), "month": "2026-03", **dict(zip(choices, combo, strict=True))}
                url = path
                for name, value in PATH.items():
                    url = url.replace(name, value)
                response = await client.get(url, headers=head, params=params)
                assert response.status_code == HEAD_GETS[path], (path, params, response.text)
                body = text_of(response)
                assert "latitude" not in body and "longitude" not in body, (path, params)
                tried += 1
    assert tried >= len(HEAD_GETS) + 5, "each format and sheet of the exports was read"
