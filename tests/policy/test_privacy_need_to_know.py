"""Need to know (issue #14): no read path of policy shows coordinates, except the two purpose-bound,
logged reads. Every GET route is found in the running app's OpenAPI document, so a route added later
is covered without editing this test."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.contracts.events import EmployeeRecord, Place
from services.policy.views import employee_view, sees_contacts
from services.runtime.auth import Principal
from tests.policy.conftest import PolicyService
from tests.policy.privacy_seed import PURPOSE, People, coordinates_in, seed_people
from tools import seed

pytestmark = pytest.mark.infra

PURPOSE_BOUND = "/v1/employees/{nip}/places"  # the tenant admin's read with a stated purpose
OWN = ("/v1/me/places", "/v1/me/export")  # the employee's own coordinates


async def world(policy: PolicyService, tenant: str) -> tuple[People, dict[str, str]]:
    """The seeded people, a letter, a roster and a roster job, a correction and a logged read; the path values."""
    people = await seed_people(policy, tenant)
    today = date.today()
    letter = await seed.Seeder(policy.client, str(policy.client.base_url), people.admin).letter(seed.letter(
        "800/1-BKD/2026", "Kerja dari rumah", today - timedelta(days=1),
        [seed.window("pagi", "Pagi", "07:00", "08:00", ["attendance"])]))
    r = await policy.client.post("/v1/units/bkd/rosters", headers=people.admin,
                                 json={"start": str(today), "end": str(today + timedelta(days=6))})
    assert r.status_code == 200, r.text
    job = await policy.client.post("/v1/rosters/generate", headers=people.admin,
                                   json={"start": str(today), "end": str(today + timedelta(days=6))})
    assert job.status_code == 202, job.text
    r = await policy.client.post("/v1/me/profile-corrections", headers=people.staff,
                                 json={"field": "position", "value": "Analis SDM Ahli Muda", "reason": "SK baru"})
    assert r.status_code == 201, r.text
    r = await policy.client.post("/v1/me/absences", headers=people.staff, json={
        "kind": "dinas_luar", "start": str(today + timedelta(days=3)), "end": str(today + timedelta(days=4)),
        "reason": "Rapat koordinasi", "place": {"name": "Kementerian PANRB", "latitude": -6.2009,
                                                "longitude": 106.8272, "radius_m": 150}})
    assert r.status_code == 201 and coordinates_in(r), r.text  # the employee's own request shows them
    absence_id = r.json()["id"]
    r = await policy.client.get(f"/v1/employees/{people.staff_nip}/places", headers=people.admin,
                                params={"purpose": PURPOSE})
    assert r.status_code == 200 and coordinates_in(r)  # the admin's logged read does show them
    values = {"nip": people.staff_nip, "unit_id": "bkd", "policy_id": letter["policy_id"], "version": "1",
              "name": "Rumah", "start": str(today),
              "end": str(today + timedelta(days=6)), "date": str(today), "day": str(today), "purpose": PURPOSE,
              "absence_id": absence_id, "job_id": job.json()["id"]}
    return people, values


def get_calls(doc: dict[str, Any], values: dict[str, str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(template, url, query) of every GET under /v1, each export format once."""
    found = []
    for template, item in doc["paths"].items():
        op = item.get("get")
        if op is None or not template.startswith("/v1/"):
            continue
        url = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)
        query: list[tuple[str, str]] = []
        formats: list[str] = []
        for p in op.get("parameters", []):
            if p["in"] == "query" and p["name"] == "format":
                formats = ["json", "csv"]
            elif p["in"] == "query" and (p.get("required") or p["name"] in ("unit_id", "employee_id", "nip")):
                query.append((p["name"], values["nip" if p["name"] == "employee_id" else p["name"]]))
        for fmt in formats or [""]:
            found.append((template, url, query + ([("format", fmt)] if fmt else [])))
    return found


async def sweep(client: httpx.AsyncClient, calls: list[tuple[str, str, list[tuple[str, str]]]],
                headers: dict[str, str], exempt: tuple[str, ...]) -> dict[str, int]:
    """Status of each call by template (``template?format`` for an export); fails on a coordinate."""
    statuses: dict[str, int] = {}
    for template, url, query in calls:
        r = await client.get(url, headers=headers, params=query)
        label = f"GET {url}?{query}"
        fmt = dict(query).get("format")
        statuses[f"{template}?{fmt}" if fmt else template] = r.status_code
        assert r.status_code < 500, (label, r.text)
        if template not in exempt:
            assert not coordinates_in(r), f"{label} shows {coordinates_in(r)}: {r.text[:300]}"
    return statuses


async def test_no_get_route_shows_coordinates_to_a_unit_head_an_admin_or_another_employee(
        policy: PolicyService, tenant: str) -> None:
    people, values = await world(policy, tenant)
    calls = get_calls(policy.app.openapi(), values)
    templates = {t for t, _, _ in calls}
    assert {"/v1/employees", "/v1/employees/{nip}", PURPOSE_BOUND, "/v1/privacy/access-log", "/v1/me/export",
            "/v1/me/places", "/v1/profile-corrections"} <= templates

    head = await sweep(policy.client, calls, people.head, exempt=())
    admin = await sweep(policy.client, calls, people.admin, exempt=(PURPOSE_BOUND,))
    # An employee of another unit: only their own places (on the two routes of their own data).
    other = await sweep(policy.client, calls, people.other, exempt=OWN)

    # The sweeps read real data: the unit head sees their unit's people and their places' names.
    assert head["/v1/employees"] == 200 and head["/v1/employees/{nip}"] == 200
    listed = (await policy.client.get("/v1/employees", headers=people.head)).json()["items"]
    staff = next(e for e in listed if e["nip"] == people.staff_nip)
    assert sorted((p["name"], p["kind"], p["valid_from"] or "") for p in staff["places"]) == [
        ("Kantor", "office", ""), ("Rumah", "home", ""), ("Rumah", "home", "2026-03-01")]
    assert staff["email"] == "siti@bkd.go.id"
    assert admin["/v1/employees"] == admin["/v1/privacy/access-log"] == admin["/v1/profile-corrections"] == 200
    assert head[PURPOSE_BOUND] == 403 and head["/v1/me/places"] == 403
    assert other["/v1/employees/{nip}"] == 404
    assert other["/v1/me/places"] == other["/v1/me/export?json"] == other["/v1/me/export?csv"] == 200
    assert sum(1 for s in head.values() if s == 200) >= 8, head
    # A trip's place: its name for the head and the BKD, its coordinates only in the employee's own list.
    assert head["/v1/absences"] == head["/v1/absences/{absence_id}"] == admin["/v1/absences/{absence_id}"] == 200
    shown = (await policy.client.get(f"/v1/absences/{values['absence_id']}", headers=people.head)).json()
    assert shown["place"] == {"name": "Kementerian PANRB", "radius_m": 150.0}
    decided = await policy.client.post(f"/v1/absences/{values['absence_id']}/decision", headers=people.head,
                                       json={"decision": "approve"})
    assert decided.status_code == 200 and not coordinates_in(decided), decided.text
    own = await policy.client.get("/v1/me/absences", headers=people.staff)
    assert own.json()["items"][0]["place"]["latitude"] == -6.2009


def record(**fields: Any) -> EmployeeRecord:
    return EmployeeRecord(nip="198503122010011003", name="Siti", unit_id="bkd", email="s@bkd.go.id",
                          phone="0812345678", places=[Place(name="Rumah", kind="home", latitude=-6.1,
                                                            longitude=106.1, radius_m=100)], **fields)


def test_views_drop_coordinates_and_show_contacts_only_to_those_who_need_them() -> None:
    siti = record()
    admin = Principal("a", "t", frozenset({"tenant_admin"}))
    head = Principal("h", "t", frozenset({"unit_head"}), unit_id="bkd")
    other_head = Principal("h2", "t", frozenset({"unit_head"}), unit_id="dinkes")
    herself = Principal(siti.nip, "t", frozenset({"employee"}), employee_id=siti.nip)
    colleague = Principal("c", "t", frozenset({"employee"}), employee_id="198503122010011004", unit_id="bkd")
    assert [sees_contacts(p, siti) for p in (admin, head, herself, other_head, colleague)] == [
        True, True, True, False, False]
    shown = employee_view(siti, head).model_dump()
    assert shown["places"] == [{"name": "Rumah", "kind": "home", "radius_m": 100, "valid_from": None,
                                "valid_until": None}]
    assert (shown["email"], shown["phone"]) == ("s@bkd.go.id", "0812345678")
    hidden = employee_view(siti, other_head).model_dump()
    assert (hidden["email"], hidden["phone"]) == (None, None)
    assert "latitude" not in str(hidden) and "-6.1" not in str(hidden)
