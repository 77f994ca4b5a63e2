"""Privacy by design (UU PDP 27/2022) across the four services on real Kafka and PostgreSQL.

- Each read of coordinates appends one access-log row, also when the read happens in another
  service than the log's (checkin's read reaches policy as ``privacy.location_read.v1``).
- A unit head's read paths in policy, checkin and reporting carry no coordinates.
- An employee's self-export, gathered from the four services, holds every kind of record (profile,
  places, check-ins and verdicts, notices sent, who viewed their location) and nothing of another
  employee.
- The events on the wire: ``directory.updated.v2`` carries neither places nor contacts, contacts
  travel on ``directory.contacts.v1`` only, and nothing is published on the deprecated v1.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.contracts import topics
from tests.support.records import read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

HOME_A, HOME_B = (-8.6705, 115.2126), (-8.6500, 115.2200)  # Denpasar
HEAD, NIP_A, NIP_B = "197501012000031001", "198805122012032002", "199104172015031003"
PURPOSE = "Pemeriksaan laporan lokasi yang mencurigakan"
COORDINATES = ("latitude", "longitude", "-8.67", "115.21", "-8.65", "115.22")


async def test_reads_are_logged_heads_see_no_coordinates_and_a_self_export_holds_everything(
    suite: Suite, tokens: Tokens, http: httpx.AsyncClient, e2e_kafka: str
) -> None:
    tenant = f"pdp-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    policy, checkin, reporting, notify = (suite[n].url for n in ("policy", "checkin", "reporting", "notify"))
    tz, local_now = now_with_room(timedelta(minutes=10))
    seeder = Seeder(http, policy, admin)
    people = {HEAD: ("Kepala Bidang", None, True), NIP_A: ("Ani Lestari", HOME_A, False),
              NIP_B: ("Budi Santoso", HOME_B, False)}
    await seeder.directory(name="Pemerintah Kota Uji", timezone=tz, units={"bkd": seed.unit("BKPSDM")},
                           employees={nip: {"name": name, "unit_id": "bkd", "is_unit_head": head,
                                            "email": f"{nip}@example.go.id", "phone": f"+62812{nip[-6:]}",
                                            "places": [seed.home(home)] if home else []}
                                      for nip, (name, home, head) in people.items()})
    located_start, located_end = seed.opened_now(local_now, timedelta(minutes=5))
    report_start, report_end = seed.opened_now(local_now, timedelta(seconds=25))
    await seeder.letter(seed.letter("800/14-BKPSDM/2026", "Uji pelindungan data", local_now.date(), [
        seed.window("lokasi", "Lokasi pagi", located_start, located_end, ["location"]),
        seed.window("laporan", "Laporan kegiatan", report_start, report_end, ["activity_report"])],
        geofence_radius_m=200))

    # A and B check in from home (neither sends the activity report: both get an overdue notice).
    checkin_ids = {}
    for nip, home in ((NIP_A, HOME_A), (NIP_B, HOME_B)):
        body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(),
                "location": {"latitude": home[0], "longitude": home[1] + 0.0004, "accuracy_m": 9}}

        async def accepted(nip: str = nip, body: dict[str, Any] = body) -> httpx.Response | None:
            r = await http.post(f"{checkin}/v1/checkins", json=body,
                                headers={**tokens.employee(tenant, nip, "bkd"), "Idempotency-Key": f"k-{nip}"})
            return r if r.status_code == 201 else None

        checkin_ids[nip] = (await eventually(accepted, timeout=20, what=f"{nip}'s check-in")).json()["id"]
    employee_a = tokens.employee(tenant, NIP_A, "bkd")

    async def judged() -> dict[str, Any] | None:
        rows = (await http.get(f"{checkin}/v1/checkins/mine", headers=employee_a)).json()["items"]
        return rows[0] if rows and rows[0]["status"] != "pending" else None

    verdict = await eventually(judged, timeout=20, what="A's verdict")
    assert (verdict["geofence"], verdict["place_name"]) == ("inside", "Rumah")

    # The admin reads A's coordinates twice: a check-in's (checkin) and the places (policy).
    read = await http.get(f"{checkin}/v1/checkins/{checkin_ids[NIP_A]}/location", headers=admin,
                          params={"purpose": PURPOSE})
    assert read.status_code == 200 and read.json()["latitude"] == HOME_A[0], read.text
    places = await http.get(f"{policy}/v1/employees/{NIP_A}/places", headers=admin, params={"purpose": PURPOSE})
    assert places.status_code == 200 and places.json()["places"][0]["latitude"] == HOME_A[0], places.text
    refused = await http.get(f"{policy}/v1/employees/{NIP_A}/places", headers=admin)  # no purpose: no read
    assert refused.status_code == 422

    async def logged() -> list[dict[str, Any]] | None:
        rows = (await http.get(f"{policy}/v1/me/access-log", headers=employee_a)).json()["items"]
        return rows if len(rows) >= 2 else None

    rows = await eventually(logged, timeout=30, what="both reads in A's access log")
    assert sorted((r["data"], r["purpose"], r["actor"], r["records"]) for r in rows) == [
        ("checkin_location", PURPOSE, f"admin@{tenant}", 1), ("places", PURPOSE, f"admin@{tenant}", 1)]
    assert {r["endpoint"] for r in rows} == {"checkin GET /v1/checkins/{checkin_id}/location",
                                             "policy GET /v1/employees/{nip}/places"}
    log = (await http.get(f"{policy}/v1/privacy/access-log", headers=admin, params={"employee_id": NIP_A})).json()
    assert sorted(r["read_id"] for r in log["items"]) == sorted(r["read_id"] for r in rows), "one row per read"
    assert (await http.get(f"{policy}/v1/privacy/access-log", headers=admin,
                           params={"employee_id": NIP_B})).json()["items"] == []

    # The unit head reads the unit in every service: names, verdicts, distances, place names; no coordinates.
    head = tokens.headers(tenant=tenant, roles=["unit_head"], nip=HEAD, unit="bkd", subject=HEAD)
    for url, params in ((f"{policy}/v1/employees", {}), (f"{policy}/v1/employees/{NIP_A}", {}),
                        (f"{checkin}/v1/units/bkd/checkins", {}), (f"{reporting}/v1/reports/daily", {}),
                        (f"{reporting}/v1/reports/daily/export", {"format": "csv"})):
        r = await http.get(url, headers=head, params=params)
        assert r.status_code == 200, (url, r.text)
        assert not [c for c in COORDINATES if c in r.text], (url, r.text[:400])
    unit_rows = (await http.get(f"{checkin}/v1/units/bkd/checkins", headers=head)).json()["items"]
    assert {(c["employee_id"], c["place_name"]) for c in unit_rows} == {(NIP_A, "Rumah"), (NIP_B, "Rumah")}
    assert (await http.get(f"{policy}/v1/employees/{NIP_A}/places", headers=head,
                           params={"purpose": PURPOSE})).status_code == 403

    # Both miss the activity report: overdue, and notify sends each a notice.
    async def noticed() -> list[dict[str, Any]] | None:
        sent = (await http.get(f"{notify}/v1/notifications", headers=admin, params={"kind": "overdue"})).json()["items"]
        return sent if {n["recipient"] for n in sent} >= {NIP_A, NIP_B} else None  # (the letter's are skipped too)

    await eventually(noticed, timeout=(report_end.astimezone(UTC) - datetime.now(UTC)).total_seconds() + 40,
                     what="overdue notices to A and B")

    exports = {}
    for name, url in (("policy", policy), ("checkin", checkin), ("reporting", reporting), ("notify", notify)):
        r = await http.get(f"{url}/v1/me/export", headers=employee_a)
        assert r.status_code == 200, (name, r.text)
        exports[name] = r
    sections = {name: r.json()["sections"] for name, r in exports.items()}
    assert [p["nip"] for p in sections["policy"]["profile"]] == [NIP_A]
    assert [(p["name"], p["latitude"]) for p in sections["policy"]["places"]] == [("Rumah", HOME_A[0])]
    assert {r["data"] for r in sections["policy"]["location_reads"]} >= {"checkin_location", "places"}
    [mine] = sections["checkin"]["checkins"]
    assert (mine["id"], mine["status"], mine["place_name"]) == (checkin_ids[NIP_A], "on_time", "Rumah")
    assert mine["location"]["latitude"] == HOME_A[0]
    assert [e["status"] for e in sections["reporting"]["evaluations"]] == ["on_time"]
    # No SMTP/WhatsApp in this suite: the notice is on record as skipped (channel not configured), never "sent".
    assert {(n["kind"], n["status"]) for n in sections["notify"]["notifications"]} >= {("overdue", "skipped")}
    assert [p["email"] for p in sections["notify"]["contacts"]] == [f"{NIP_A}@example.go.id"]
    for name, r in exports.items():
        assert r.json()["employee_id"] == NIP_A
        for other in (NIP_B, "Budi Santoso", checkin_ids[NIP_B], str(HOME_B[0])):
            assert other not in r.text, (name, other)

    # The checkin export handed out coordinates: that read reaches A's access log too.
    async def exported() -> list[dict[str, Any]] | None:
        rows = (await http.get(f"{policy}/v1/me/access-log", headers=employee_a)).json()["items"]
        found = [r for r in rows if r["data"] == "self_export" and r["endpoint"].startswith("checkin")]
        return found or None

    [self_read] = await eventually(exported, timeout=30, what="the checkin export in A's access log")
    assert (self_read["actor_nip"], self_read["purpose"]) == (NIP_A, "akses mandiri / self access")

    # On the wire: no places or contacts on v2, contacts on their own topic, nothing on v1.
    v2 = await read_to_end(e2e_kafka, topics.DIRECTORY_UPDATED_V2, tenant)
    assert len(v2) >= 5 and not [r for r in v2 if b"latitude" in r.value or b"example.go.id" in r.value]
    contacts = await read_to_end(e2e_kafka, topics.DIRECTORY_CONTACTS, tenant)
    assert {json.loads(r.value)["nip"] for r in contacts} == set(people)
    assert await read_to_end(e2e_kafka, topics.DIRECTORY_UPDATED, tenant) == []
