"""Profile corrections through the HTTP API on real PostgreSQL: the employee asks, the tenant admin
approves (the directory changes and publishes in the same transaction) or rejects; every request
keeps who asked, old and new value, who decided, when and why."""

from __future__ import annotations

import uuid

import pytest

from tests.policy.conftest import PolicyService
from tests.policy.privacy_seed import seed_people

pytestmark = pytest.mark.infra

PROFILE = "hadir.directory.updated.v2"
CONTACTS = "hadir.directory.contacts.v1"


async def test_an_approved_correction_changes_the_directory_and_a_rejected_one_does_not(
        policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    client = policy.client
    ask = await client.post("/v1/me/profile-corrections", headers=people.staff,
                            json={"field": "name", "value": "Siti Aminah, S.Kom.", "reason": "Gelar baru"})
    assert ask.status_code == 201, ask.text
    asked = ask.json()
    assert (asked["status"], asked["old_value"], asked["new_value"], asked["employee_id"]) == (
        "pending", "Siti Aminah", "Siti Aminah, S.Kom.", people.staff_nip)
    phone = (await client.post("/v1/me/profile-corrections", headers=people.staff,
                               json={"field": "phone", "value": None, "reason": "Nomor tidak dipakai"})).json()

    again = await client.post("/v1/me/profile-corrections", headers=people.staff,
                              json={"field": "name", "value": "Siti A.", "reason": "Salah ketik"})
    assert again.status_code == 409 and again.json()["detail"][0]["type"] == "correction_pending"

    pending = (await client.get("/v1/profile-corrections", headers=people.admin,
                                params={"status": "pending"})).json()["items"]
    assert [c["id"] for c in pending] == [phone["id"], asked["id"]]  # newest first
    profiles_before = len(await policy.outbox(tenant, PROFILE))

    approve = await client.post(f"/v1/profile-corrections/{asked['id']}/decision", headers=people.admin,
                                json={"decision": "approve", "note": "Sesuai ijazah"})
    assert approve.status_code == 200, approve.text
    decided = approve.json()
    assert (decided["status"], decided["decided_by"], decided["note"]) == ("approved", f"admin@{tenant}",
                                                                            "Sesuai ijazah")
    assert decided["decided_at"] is not None
    record = (await client.get(f"/v1/employees/{people.staff_nip}", headers=people.admin)).json()
    assert record["name"] == "Siti Aminah, S.Kom."
    published = (await policy.outbox(tenant, PROFILE))[profiles_before:]
    assert [e["employee"]["name"] for e in published] == ["Siti Aminah, S.Kom."]

    twice = await client.post(f"/v1/profile-corrections/{asked['id']}/decision", headers=people.admin,
                              json={"decision": "reject", "note": "ragu"})
    assert twice.status_code == 409 and twice.json()["detail"][0]["type"] == "correction_decided"

    contacts_before = len(await policy.outbox(tenant, CONTACTS))
    reject = await client.post(f"/v1/profile-corrections/{phone['id']}/decision", headers=people.admin,
                               json={"decision": "reject", "note": "Nomor masih aktif"})
    assert reject.json()["status"] == "rejected"
    assert (await client.get(f"/v1/employees/{people.staff_nip}", headers=people.admin)).json()["phone"] == (
        "081234567890")
    assert len(await policy.outbox(tenant, CONTACTS)) == contacts_before

    # A decided field may be asked for again.
    assert (await client.post("/v1/me/profile-corrections", headers=people.staff,
                              json={"field": "name", "value": "Siti A.", "reason": "Salah ketik"})).status_code == 201
    mine = (await client.get("/v1/me/profile-corrections", headers=people.staff)).json()["items"]
    assert [(c["field"], c["status"]) for c in mine] == [("name", "pending"), ("phone", "rejected"),
                                                          ("name", "approved")]
    assert (await client.get("/v1/me/profile-corrections", headers=people.other)).json()["items"] == []
    by_status = {s: [c["id"] for c in (await client.get("/v1/profile-corrections", headers=people.admin,
                                                        params={"status": s})).json()["items"]]
                 for s in ("approved", "rejected")}
    assert by_status == {"approved": [asked["id"]], "rejected": [phone["id"]]}


async def test_bad_requests_and_decisions_are_refused(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    client = policy.client
    url = "/v1/me/profile-corrections"
    for body, loc in (({"field": "email", "value": "bukan-email", "reason": "Ganti"}, "value"),
                      ({"field": "name", "value": "", "reason": "Ganti"}, "value"),
                      ({"field": "name", "value": None, "reason": "Ganti"}, "value"),
                      ({"field": "position", "value": "x" * 201, "reason": "Ganti"}, "value"),
                      ({"field": "phone", "value": "12ab", "reason": "Ganti"}, "value"),
                      ({"field": "unit_id", "value": "dinkes", "reason": "Pindah"}, "field"),
                      ({"field": "name", "value": "Siti", "reason": "  "}, "reason")):
        r = await client.post(url, headers={**people.staff, "Accept-Language": "en"}, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", loc], r.text
    assert (await client.post(url, headers=people.admin,
                              json={"field": "name", "value": "X", "reason": "Ganti"})).status_code == 403
    stranger = policy.tokens.employee(tenant, "199001012015031999", "bkd")
    assert (await client.post(url, headers=stranger,
                              json={"field": "name", "value": "X", "reason": "Ganti"})).status_code == 404

    asked = (await client.post(url, headers=people.staff,
                               json={"field": "email", "value": "siti.aminah@bkd.go.id", "reason": "Alamat baru"}
                               )).json()
    decision = f"/v1/profile-corrections/{asked['id']}/decision"
    for who in (people.head, people.staff):
        assert (await client.post(decision, headers=who, json={"decision": "approve"})).status_code == 403
    other_tenant = policy.tokens.admin(f"{tenant}-x")
    assert (await client.post(decision, headers=other_tenant, json={"decision": "approve"})).status_code == 404
    assert (await client.post(f"/v1/profile-corrections/{uuid.uuid4()}/decision", headers=people.admin,
                              json={"decision": "approve"})).status_code == 404
    assert (await client.post("/v1/profile-corrections/nope/decision", headers=people.admin,
                              json={"decision": "approve"})).status_code == 422
    r = await client.post(decision, headers=people.admin, json={"decision": "maybe"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "decision"]
    r = await client.get("/v1/profile-corrections", headers=people.admin, params={"status": "lost"})
    assert r.status_code == 422
    assert (await client.get("/v1/profile-corrections", headers=people.head)).status_code == 403
    # Still pending after all that.
    assert [c["status"] for c in (await client.get(url, headers=people.staff)).json()["items"]] == ["pending"]
