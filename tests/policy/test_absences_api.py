"""Absences through the HTTP API on real PostgreSQL: the employee asks, the head of their unit
decides (then the BKD when the letter in force on the first day asks for it), the employee cancels;
every change stages absence.updated.v1 (whole state, the next revision, no reason, attachment or
place) in its transaction; the wrong people are refused."""

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

UPDATED = "hadir.absence.updated.v1"
REASON = "Demam berdarah, rawat inap RSUD Serang"
ATTACHMENT = "SKD-0457/RSUD/III/2026"


def today() -> Any:
    return local_date(datetime.now(UTC), "Asia/Jakarta")


def days(first: int, last: int) -> dict[str, str]:
    """start/end ``first``/``last`` days from today (tenant-local)."""
    return {"start": str(today() + timedelta(days=first)), "end": str(today() + timedelta(days=last))}


async def ask(policy: PolicyService, who: dict[str, str], kind: str, first: int, last: int,
              expect: int = 201, **extra: Any) -> dict[str, Any]:
    r = await policy.client.post("/v1/me/absences", headers=who,
                                 json={"kind": kind, **days(first, last), "reason": REASON, **extra})
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


async def decide(policy: PolicyService, who: dict[str, str], absence: dict[str, Any], decision: str,
                 note: str = "", expect: int = 200) -> dict[str, Any]:
    r = await policy.client.post(f"/v1/absences/{absence['id']}/decision", headers=who,
                                 json={"decision": decision, "note": note})
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


async def events_of(policy: PolicyService, tenant: str, absence: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in await policy.outbox(tenant, UPDATED) if e["absence_id"] == absence["id"]]


async def test_the_head_approves_a_sick_leave_and_every_change_is_published_without_the_reason(
        policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    asked = await ask(policy, people.staff, "sakit", -2, 1, attachment_ref=ATTACHMENT)
    assert (asked["status"], asked["needs_bkd"], asked["revision"], asked["days"], asked["unit_id"]) == (
        "requested", False, 1, 4, "bkd")
    assert asked["kind_name"] == {"id": "Sakit", "en": "Sick leave"}
    assert (asked["reason"], asked["attachment_ref"], asked["head_decision"]) == (REASON, ATTACHMENT, None)

    approved = await decide(policy, people.head, asked, "approve", "Semoga lekas sembuh")
    assert (approved["status"], approved["revision"]) == ("approved", 2)
    head = approved["head_decision"]
    assert (head["by"], head["nip"], head["note"]) == ("kepala@bkd", people.head_nip, "Semoga lekas sembuh")
    assert approved["bkd_decision"] is None

    events = await events_of(policy, tenant, asked)
    assert [(e["status"], e["revision"]) for e in events] == [("requested", 1), ("approved", 2)]
    assert events[1] | {"at": None} == {
        "absence_id": asked["id"], "employee_id": people.staff_nip, "unit_id": "bkd", "kind": "sakit",
        "start": asked["start"], "end": asked["end"], "status": "approved", "needs_bkd": False,
        "cancelled_from": None, "decision_note": "Semoga lekas sembuh", "revision": 2, "at": None}
    text = json.dumps(events)
    assert "Demam" not in text and ATTACHMENT not in text and "reason" not in text

    again = await decide(policy, people.admin, asked, "reject", "terlambat", expect=409)
    assert again["detail"][0]["type"] == "absence_not_pending"
    read = (await policy.client.get(f"/v1/absences/{asked['id']}", headers=people.head)).json()
    assert read == approved


async def test_long_leave_and_study_leave_wait_for_the_bkd_after_the_head(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    short = await ask(policy, people.staff, "cuti", 10, 23)  # 14 days: the head alone
    assert short["needs_bkd"] is False
    assert (await decide(policy, people.head, short, "approve"))["status"] == "approved"
    long = await ask(policy, people.staff, "cuti", 30, 44)  # 15 days
    study = await ask(policy, people.other, "tugas_belajar", 5, 5)
    assert (long["needs_bkd"], study["needs_bkd"]) == (True, True)

    waiting = await decide(policy, people.head, long, "approve", "Disetujui kepala")
    assert (waiting["status"], waiting["revision"]) == ("awaiting_bkd", 2)
    refused = await decide(policy, people.head, long, "approve", expect=403)
    assert refused["detail"][0]["type"] == "bkd_step"
    approved = await decide(policy, people.admin, long, "approve", "Sesuai sisa cuti")
    assert (approved["status"], approved["revision"]) == ("approved", 3)
    assert (approved["head_decision"]["note"], approved["bkd_decision"]["by"], approved["bkd_decision"]["note"]) == (
        "Disetujui kepala", f"admin@{tenant}", "Sesuai sisa cuti")
    assert [e["status"] for e in await events_of(policy, tenant, long)] == ["requested", "awaiting_bkd", "approved"]

    # The BKD may take the head's step too, and then decides its own.
    bkd_first = await decide(policy, people.admin, study, "approve")
    assert bkd_first["status"] == "awaiting_bkd"
    rejected = await decide(policy, people.admin, study, "reject", "Belum ada surat tugas")
    assert (rejected["status"], rejected["bkd_decision"]["note"]) == ("rejected", "Belum ada surat tugas")
    assert (await events_of(policy, tenant, study))[-1]["decision_note"] == "Belum ada surat tugas"


async def test_the_letter_in_force_on_the_first_day_sets_the_bkd_threshold(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    body = seed.letter("800/1-BKD/2026", "WFH", today() - timedelta(days=40),
                       [seed.window("attendance", "Absen", "07:00", "08:00", ["attendance"])],
                       absence_bkd_from_days={"sakit": 3})
    assert (await policy.client.post("/v1/policies", headers=people.admin, json=body)).status_code == 201
    assert (await ask(policy, people.staff, "sakit", 1, 2))["needs_bkd"] is False
    assert (await ask(policy, people.staff, "sakit", 3, 5))["needs_bkd"] is True
    assert (await ask(policy, people.staff, "cuti", 10, 40))["needs_bkd"] is False  # the letter's map only


async def test_only_the_head_of_the_unit_or_the_bkd_decides_and_nobody_their_own(
        policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    asked = await ask(policy, people.staff, "izin", 1, 1)
    other_head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], nip=people.other_nip, unit="dinkes")
    assert (await decide(policy, other_head, asked, "approve", expect=403))["detail"][0]["type"] == "own_unit_only"
    assert (await policy.client.get(f"/v1/absences/{asked['id']}", headers=other_head)).status_code == 403
    assert (await decide(policy, people.staff, asked, "approve", expect=403))["detail"][0]["type"] == "role_required"
    own = await ask(policy, people.head, "izin", 2, 2)
    assert own["unit_id"] == "bkd"
    assert (await decide(policy, people.head, own, "approve", expect=403))["detail"][0]["type"] == "own_request"
    note = await decide(policy, people.head, asked, "reject", "  ", expect=422)
    assert note["detail"][0]["loc"] == ["body", "note"] and note["detail"][0]["type"] == "note_required"
    assert (await decide(policy, people.head, asked, "reject", "Ada rapat evaluasi"))["status"] == "rejected"
    assert (await decide(policy, people.admin, own, "approve"))["status"] == "approved"
    assert [e["revision"] for e in await events_of(policy, tenant, asked)] == [1, 2]  # refusals published nothing


async def test_cancelling_an_approved_absence_restores_the_days_from_today(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    running = await ask(policy, people.staff, "sakit", -3, 3)
    assert running["excused"] is None, "asked: excuses nothing yet"
    approved = await decide(policy, people.head, running, "approve")
    assert approved["excused"] == {"start": str(today() - timedelta(days=3)), "end": str(today() + timedelta(days=3))}
    other = policy.tokens.employee(tenant, people.other_nip, "dinkes")
    assert (await policy.client.post(f"/v1/me/absences/{running['id']}/cancel", headers=other)).status_code == 404
    r = await policy.client.post(f"/v1/me/absences/{running['id']}/cancel", headers=people.staff)
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert (cancelled["status"], cancelled["cancelled_from"], cancelled["revision"]) == (
        "cancelled", str(today()), 3)
    assert cancelled["cancelled_at"] is not None
    assert cancelled["excused"] == {"start": str(today() - timedelta(days=3)), "end": str(today() - timedelta(days=1))}
    event = (await events_of(policy, tenant, running))[-1]
    assert (event["status"], event["cancelled_from"], event["revision"]) == ("cancelled", str(today()), 3)
    twice = await policy.client.post(f"/v1/me/absences/{running['id']}/cancel", headers=people.staff)
    assert twice.status_code == 409 and twice.json()["detail"][0]["type"] == "absence_not_cancellable"

    pending = await ask(policy, people.staff, "cuti", 5, 6)
    withdrawn = (await policy.client.post(f"/v1/me/absences/{pending['id']}/cancel", headers=people.staff)).json()
    assert (withdrawn["status"], withdrawn["cancelled_from"], withdrawn["excused"]) == ("cancelled", None, None)
    over = await ask(policy, people.staff, "sakit", -10, -8)
    await decide(policy, people.head, over, "approve")
    late = await policy.client.post(f"/v1/me/absences/{over['id']}/cancel", headers=people.staff)
    assert late.status_code == 409 and late.json()["detail"][0]["type"] == "absence_over"


async def test_overlapping_and_bad_requests_are_refused(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    first = await ask(policy, people.staff, "cuti", 5, 9)
    for a, b in ((9, 12), (1, 5), (6, 7), (0, 20)):
        clash = await ask(policy, people.staff, "izin", a, b, expect=409)
        assert clash["detail"][0]["type"] == "absence_overlap"
    await ask(policy, people.other, "cuti", 5, 9)  # someone else's days are theirs
    await ask(policy, people.staff, "izin", 10, 10)  # the day after
    await decide(policy, people.head, first, "reject", "Ada audit")
    await ask(policy, people.staff, "izin", 6, 7)  # a rejected absence holds no days

    english = {**people.staff, "Accept-Language": "en"}
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"kind": "cuti", **days(5, 4), "reason": REASON}, "end", "end is before start"),
        ({"kind": "sakit", **days(-32, -30), "reason": REASON}, "start", "at most 31 days ago"),
        ({"kind": "tugas_belajar", **days(1, 1097), "reason": REASON}, "end", "at most 1096 days"),
        ({"kind": "sakit", **days(40, 40), "reason": REASON,
          "place": {"name": "RS", "latitude": -6.2, "longitude": 106.8}}, "place", "official travel"),
        ({"kind": "cuti", **days(40, 40), "reason": "x" * 1001}, "reason", "at most 1000"),
        ({"kind": "cuti", **days(40, 40), "reason": "  "}, "reason", "at least 3"),
        ({"kind": "cuti", **days(40, 40), "reason": REASON, "attachment_ref": "x" * 301}, "attachment_ref", "300"),
        ({"kind": "libur", **days(40, 40), "reason": REASON}, "kind", "expected"),
        ({"kind": "cuti", "start": "2026-02-30", "end": "2026-03-01", "reason": REASON}, "start", ""),
        ({"kind": "dinas_luar", **days(40, 40), "reason": REASON,
          "place": {"name": "X", "latitude": 91, "longitude": 0}}, "place", ""),
    ]
    for body, field, message in bad:
        r = await policy.client.post("/v1/me/absences", headers=english, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"][0]["loc"][:2] == ["body", field], r.text
        assert message in r.json()["detail"][0]["msg"], r.text
    indonesian = await policy.client.post("/v1/me/absences", headers=people.staff,
                                          json={"kind": "cuti", **days(5, 4), "reason": REASON})
    assert indonesian.json()["detail"][0]["msg"].endswith("Tanggal selesai sebelum tanggal mulai")
    stranger = policy.tokens.employee(tenant, "199001012015031999", "bkd")
    assert (await policy.client.post("/v1/me/absences", headers=stranger,
                                     json={"kind": "cuti", **days(1, 1), "reason": REASON})).status_code == 404


async def test_lists_show_a_head_their_unit_and_the_bkd_every_unit(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    staff_old = await ask(policy, people.staff, "sakit", -5, -4)
    staff_new = await ask(policy, people.staff, "cuti", 20, 22)
    other = await ask(policy, people.other, "izin", 1, 1)
    travel = await ask(policy, people.staff, "dinas_luar", 3, 4,
                       place={"name": "Kementerian PANRB", "latitude": -6.2009, "longitude": 106.8272,
                              "radius_m": 150})
    assert travel["place"] == {"name": "Kementerian PANRB", "latitude": -6.2009, "longitude": 106.8272,
                               "radius_m": 150.0}

    async def ids(who: dict[str, str], url: str = "/v1/absences", **params: Any) -> list[str]:
        r = await policy.client.get(url, headers=who, params=params)
        assert r.status_code == 200, r.text
        return [a["id"] for a in r.json()["items"]]

    assert await ids(people.head) == [travel["id"], staff_new["id"], staff_old["id"]]
    assert await ids(people.admin) == [travel["id"], other["id"], staff_new["id"], staff_old["id"]]
    assert await ids(people.admin, unit_id="dinkes") == [other["id"]]
    assert (await policy.client.get("/v1/absences", headers=people.head, params={"unit_id": "dinkes"})
            ).status_code == 403
    assert (await policy.client.get("/v1/absences", headers=people.staff)).status_code == 403
    window = days(0, 10)
    assert await ids(people.admin, since=window["start"], until=window["end"]) == [travel["id"], other["id"]]
    await decide(policy, people.head, staff_new, "approve")
    assert await ids(people.head, status="approved") == [staff_new["id"]]
    assert await ids(people.staff, "/v1/me/absences") == [travel["id"], staff_new["id"], staff_old["id"]]
    first = (await policy.client.get("/v1/me/absences", headers=people.staff, params={"limit": 2})).json()
    rest = (await policy.client.get("/v1/me/absences", headers=people.staff,
                                    params={"limit": 2, "after": first["next_after"]})).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [travel["id"], staff_new["id"], staff_old["id"]]
    assert rest["next_after"] is None
    assert (await policy.client.get("/v1/absences", headers=people.admin, params={"status": "lost"})
            ).status_code == 422
    travel_event = (await events_of(policy, tenant, travel))[0]
    assert "latitude" not in json.dumps(travel_event) and "PANRB" not in json.dumps(travel_event)


async def test_another_tenant_finds_nothing(policy: PolicyService, tenant: str) -> None:
    people: People = await seed_people(policy, tenant)
    asked = await ask(policy, people.staff, "izin", 1, 1)
    intruder = f"{tenant}-x"
    admin = policy.tokens.admin(intruder)
    head = policy.tokens.headers(tenant=intruder, roles=["unit_head"], nip=people.head_nip, unit="bkd")
    staff = policy.tokens.employee(intruder, people.staff_nip, "bkd")
    client = policy.client
    assert (await client.get(f"/v1/absences/{asked['id']}", headers=admin)).status_code == 404
    assert (await client.post(f"/v1/absences/{asked['id']}/decision", headers=head,
                              json={"decision": "approve"})).status_code == 404
    assert (await client.post(f"/v1/me/absences/{asked['id']}/cancel", headers=staff)).status_code == 404
    assert (await client.get("/v1/absences", headers=admin)).json()["items"] == []
    assert (await client.get("/v1/me/absences", headers=staff)).json()["items"] == []
    assert (await client.get(f"/v1/absences/{uuid.uuid4()}", headers=people.admin)).status_code == 404
    assert (await client.get(f"/v1/absences/{asked['id']}", headers=people.admin)).json()["status"] == "requested"
