"""The employee's download of everything policy holds about them (``GET /v1/me/export``) on real
PostgreSQL: every section, in JSON and CSV, with their own coordinates and nothing of anyone else;
the download is itself a logged read."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.policy.conftest import PolicyService
from tests.policy.privacy_seed import HOME, OTHER_HOME, PURPOSE, People, log_rows, seed_people

pytestmark = pytest.mark.infra


async def history(policy: PolicyService, people: People) -> None:
    """Corrections and reads of both employees."""
    client = policy.client
    for who, value in ((people.staff, "Analis SDM Ahli Pertama"), (people.other, "Perawat Ahli Muda")):
        r = await client.post("/v1/me/profile-corrections", headers=who,
                              json={"field": "position", "value": value, "reason": "SK jabatan baru"})
        assert r.status_code == 201
    for nip in (people.staff_nip, people.other_nip, people.other_nip):
        r = await client.get(f"/v1/employees/{nip}/places", headers=people.admin, params={"purpose": PURPOSE})
        assert r.status_code == 200
    assert (await client.get("/v1/me/places", headers=people.other)).status_code == 200


async def test_the_export_holds_every_section_of_the_caller_and_nothing_of_anyone_else(
        policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    await history(policy, people)
    later = str(datetime.now(UTC).date() + timedelta(days=40))
    absence = {"kind": "dinas_luar", "start": later, "end": later, "reason": "Rapat koordinasi",
               "place": {"name": "Kementerian PANRB", "latitude": -6.2009, "longitude": 106.8272}}
    assert (await policy.client.post("/v1/me/absences", headers=people.staff, json=absence)).status_code == 201
    before = len(await log_rows(policy, tenant))

    r = await policy.client.get("/v1/me/export", headers=people.staff)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"
    assert f"hadir-policy-{people.staff_nip}-" in r.headers["content-disposition"]
    export = r.json()
    assert (export["service"], export["tenant"], export["employee_id"]) == ("policy", tenant, people.staff_nip)
    sections: dict[str, list[dict[str, Any]]] = export["sections"]
    assert set(sections) == {"profile", "places", "profile_corrections", "absences", "verdict_corrections",
                             "location_reads"}
    [trip] = sections["absences"]
    assert (trip["kind"], trip["reason"], trip["place_name"], trip["status"]) == (
        "dinas_luar", "Rapat koordinasi", "Kementerian PANRB", "requested")
    assert trip["created_at_local"].endswith("+07:00") and "tenant" not in trip
    assert sections["verdict_corrections"] == []

    [profile] = sections["profile"]
    assert (profile["nip"], profile["name"], profile["email"], profile["phone"]) == (
        people.staff_nip, "Siti Aminah", "siti@bkd.go.id", "081234567890")
    assert "places" not in profile and profile["inactive_since"] is None
    assert sorted(p["name"] for p in sections["places"]) == ["Kantor", "Rumah", "Rumah"]
    assert (HOME[0], HOME[1]) in {(p["latitude"], p["longitude"]) for p in sections["places"]}
    assert [c["new_value"] for c in sections["profile_corrections"]] == ["Analis SDM Ahli Pertama"]
    reads = sections["location_reads"]
    assert {x["employee_id"] for x in reads} == {people.staff_nip}
    assert [(x["data"], x["purpose"]) for x in reads] == [("self_export", "akses mandiri / self access"),
                                                           ("places", PURPOSE)]  # this download, the admin's

    # The download was logged once, with the number of places it held.
    rows = await log_rows(policy, tenant)
    assert len(rows) == before + 1
    assert (rows[-1].data, rows[-1].records, rows[-1].employee_id) == ("self_export", 3, people.staff_nip)

    # Nothing of the other employee anywhere in it.
    text = json.dumps(export)
    for mark in (people.other_nip, "Budi", "budi@dinkes.go.id", "Perawat", str(abs(OTHER_HOME[0]))):
        assert mark not in text, mark


async def test_the_csv_export_is_the_same_records_one_field_a_row(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    await history(policy, people)
    as_json = (await policy.client.get("/v1/me/export", headers=people.other)).json()
    r = await policy.client.get("/v1/me/export", headers=people.other, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))  # a BOM for spreadsheets
    assert set(rows[0]) == {"section", "record", "field", "value"}
    by_section: dict[str, set[str]] = {}
    for row in rows:
        by_section.setdefault(row["section"], set()).add(row["record"])
    assert {s: len(records) for s, records in by_section.items() if s != "_export"} == {
        "profile": 1, "places": 1, "profile_corrections": 1,
        # the admin's two reads, their own places, the JSON download and this one
        "location_reads": 5}
    assert len(as_json["sections"]["location_reads"]) == 4
    values = {(row["section"], row["field"]): row["value"] for row in rows if row["record"] == "1"}
    assert values[("places", "latitude")] == str(OTHER_HOME[0])
    assert values[("profile", "name")] == "Budi Santoso"
    assert people.staff_nip not in r.text and "Siti" not in r.text and "siti@bkd.go.id" not in r.text

    bad = await policy.client.get("/v1/me/export", headers=people.other, params={"format": "xlsx"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "format"]
    for who in (people.admin, people.head):
        assert (await policy.client.get("/v1/me/export", headers=who)).status_code == 403


async def test_someone_not_in_the_directory_gets_an_empty_export_and_no_row(policy: PolicyService,
                                                                           tenant: str) -> None:
    people = await seed_people(policy, tenant)
    await history(policy, people)
    stranger = policy.tokens.employee(tenant, "199001012015031999", "bkd")
    before = len(await log_rows(policy, tenant))
    export = (await policy.client.get("/v1/me/export", headers=stranger)).json()
    assert export["sections"] == {"profile": [], "places": [], "profile_corrections": [], "absences": [],
                                  "verdict_corrections": [], "location_reads": []}
    assert len(await log_rows(policy, tenant)) == before
