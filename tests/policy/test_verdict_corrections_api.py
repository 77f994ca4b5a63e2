"""Contested verdicts through the HTTP API on real PostgreSQL: the employee contests one window of
one day, the head of their unit (or the BKD) approves or rejects once; every change stages
correction.updated.v1 (whole state, next revision, no explanation); the day, the window and the
deciders are checked."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.contracts.policy import local_date
from tests.policy.conftest import PolicyService
from tests.policy.privacy_seed import People, seed_people
from tools import seed

pytestmark = pytest.mark.infra

UPDATED = "hadir.correction.updated.v1"
EXPLANATION = "Sinyal hilang di jalan tol, foto terlampir di grup unit"
URL = "/v1/me/verdict-corrections"


def today() -> Any:
    return local_date(datetime.now(UTC), "Asia/Jakarta")


async def with_letter(policy: PolicyService, tenant: str) -> People:
    people = await seed_people(policy, tenant)
    body = seed.letter("800/5-BKD/2026", "WFH", today() - timedelta(days=70),
                       [seed.window("attendance", "Absen pagi", "07:00", "08:00", ["attendance"]),
                        seed.window("location-1", "Lokasi", "09:00", "10:00", ["location"])])
    assert (await policy.client.post("/v1/policies", headers=people.admin, json=body)).status_code == 201
    return people


async def contest(policy: PolicyService, who: dict[str, str], days_ago: int, window: str = "attendance",
                  contested: str = "late", expect: int = 201, **extra: Any) -> dict[str, Any]:
    r = await policy.client.post(URL, headers=who, json={
        "local_date": str(today() - timedelta(days=days_ago)), "window_id": window, "contested": contested,
        "explanation": EXPLANATION, **extra})
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


async def decide(policy: PolicyService, who: dict[str, str], correction: dict[str, Any], decision: str,
                 note: str = "", expect: int = 200) -> dict[str, Any]:
    r = await policy.client.post(f"/v1/verdict-corrections/{correction['id']}/decision", headers=who,
                                 json={"decision": decision, "note": note})
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_the_head_decides_a_contested_verdict_once_and_each_change_is_published(
        policy: PolicyService, tenant: str) -> None:
    people = await with_letter(policy, tenant)
    checkin_id = str(uuid.uuid4())
    asked = await contest(policy, people.staff, 1, checkin_id=checkin_id)
    assert (asked["status"], asked["revision"], asked["unit_id"], asked["checkin_id"], asked["decision"]) == (
        "requested", 1, "bkd", checkin_id, None)
    again = await contest(policy, people.staff, 1, contested="outside_geofence", expect=409)
    assert again["detail"][0]["type"] == "correction_pending"
    other_window = await contest(policy, people.staff, 1, "location-1", "missing")

    other_head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], nip=people.other_nip, unit="dinkes")
    assert (await decide(policy, other_head, asked, "approve", expect=403))["detail"][0]["type"] == "own_unit_only"
    assert (await decide(policy, people.staff, asked, "approve", expect=403))["detail"][0]["type"] == "role_required"
    assert (await decide(policy, people.head, asked, "reject", expect=422))["detail"][0]["loc"] == ["body", "note"]
    approved = await decide(policy, people.head, asked, "approve", "Diterima")
    assert (approved["status"], approved["revision"]) == ("approved", 2)
    assert (approved["decision"]["by"], approved["decision"]["nip"], approved["decision"]["note"]) == (
        "kepala@bkd", people.head_nip, "Diterima")
    twice = await decide(policy, people.admin, asked, "reject", "Tidak", expect=409)
    assert twice["detail"][0]["type"] == "correction_decided"
    rejected = await decide(policy, people.admin, other_window, "reject", "Tidak ada bukti")
    assert rejected["status"] == "rejected"
    await contest(policy, people.staff, 1)  # a decided one may be contested again

    events = [e for e in await policy.outbox(tenant, UPDATED) if e["correction_id"] == asked["id"]]
    assert [(e["status"], e["revision"]) for e in events] == [("requested", 1), ("approved", 2)]
    assert events[1] | {"at": None} == {
        "correction_id": asked["id"], "employee_id": people.staff_nip, "unit_id": "bkd",
        "local_date": asked["local_date"], "window_id": "attendance", "checkin_id": checkin_id,
        "contested": "late", "status": "approved", "decision_note": "Diterima", "revision": 2, "at": None}
    assert "Sinyal" not in json.dumps(await policy.outbox(tenant, UPDATED))

    mine = (await policy.client.get(URL, headers=people.staff)).json()["items"]
    assert [c["status"] for c in mine] == ["requested", "rejected", "approved"]
    head_sees = (await policy.client.get("/v1/verdict-corrections", headers=people.head,
                                         params={"status": "approved"})).json()["items"]
    assert [c["id"] for c in head_sees] == [asked["id"]]
    assert (await policy.client.get("/v1/verdict-corrections", headers=other_head)).json()["items"] == []
    assert (await policy.client.get("/v1/verdict-corrections", headers=other_head,
                                    params={"unit_id": "bkd"})).status_code == 403


async def test_bad_days_windows_and_callers_are_refused(policy: PolicyService, tenant: str) -> None:
    people = await with_letter(policy, tenant)
    english = {**people.staff, "Accept-Language": "en"}
    for days_ago, window, field, message in ((-1, "attendance", "local_date", "has not come yet"),
                                             (63, "attendance", "local_date", "at most 62 days ago"),
                                             (1, "lunch", "window_id", "no such window"),
                                             (1, "Bad Window", "window_id", "")):
        r = await policy.client.post(URL, headers=english, json={
            "local_date": str(today() - timedelta(days=days_ago)), "window_id": window, "contested": "missing",
            "explanation": EXPLANATION})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", field] and message in r.json()["detail"][0]["msg"], r.text
    await contest(policy, people.staff, 62)
    for body in ({"contested": "absent"}, {"explanation": "x" * 1001}, {"explanation": " "}, {"checkin_id": "nope"}):
        r = await policy.client.post(URL, headers=people.staff, json={
            "local_date": str(today()), "window_id": "attendance", "contested": "late", "explanation": EXPLANATION,
            **body})
        assert r.status_code == 422, (body, r.text)
    no_letter = await seed_people(policy, f"{tenant}-n")  # a tenant without a letter has no windows
    await contest(policy, no_letter.staff, 1, expect=422)

    asked = await contest(policy, people.head, 2)
    assert (await decide(policy, people.head, asked, "approve", expect=403))["detail"][0]["type"] == "own_request"
    intruder = policy.tokens.admin(f"{tenant}-x")
    assert (await decide(policy, intruder, asked, "approve", expect=404))["detail"][0]["type"] == "not_found"
    assert (await policy.client.get("/v1/verdict-corrections", headers=intruder)).json()["items"] == []
    assert (await decide(policy, people.admin, asked, "approve"))["status"] == "approved"
