"""One check-in end to end on real Kafka and PostgreSQL:

check-in API → outbox → ``checkin.received`` → policy evaluates → ``checkin.evaluated``
→ reporting counts it; an employee who did not check in by the window's close gets
exactly one ``report.overdue`` → notify records exactly one notification.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.contracts import topics
from tests.support.records import event_ids, read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

HOME_A = (-6.1202, 106.1503)  # Serang, Banten
HOME_B = (-6.1100, 106.1600)
NIP_A = "198703152010011001"
NIP_B = "199002202015032002"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def test_checkin_flows_to_report_and_overdue_to_notification(
    suite: Suite, tokens: Tokens, http: httpx.AsyncClient, e2e_kafka: str
) -> None:
    tenant = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    policy, checkin, reporting, notify = (suite[n].url for n in ("policy", "checkin", "reporting", "notify"))
    tz, local_now = now_with_room(timedelta(minutes=10))
    seeder = Seeder(http, policy, admin)

    # Directory: one department, two employees with home places.
    await seeder.directory(name="Pemerintah Provinsi Uji", timezone=tz,
                           units={"bkd": seed.unit("Badan Kepegawaian Daerah")},
                           employees={nip: {"name": f"Pegawai {nip[-3:]}", "unit_id": "bkd",
                                            "email": f"{nip}@example.go.id", "places": [seed.home(home)]}
                                      for nip, home in ((NIP_A, HOME_A), (NIP_B, HOME_B))})

    # A minimal circular letter: one location window closing in 25 seconds, no grace.
    start, end_local = seed.opened_now(local_now, timedelta(seconds=25))
    await seeder.letter(seed.letter("800/1-BKD/2026", "Uji alur kerja dari rumah", local_now.date(),
                                    [seed.window("lokasi", "Lokasi pagi", start, end_local, ["location"])],
                                    geofence_radius_m=200))
    deadline = end_local.astimezone(UTC)

    # Employee A checks in from home once the check-in service knows them.
    employee_a = tokens.employee(tenant, NIP_A, "bkd")
    body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(),
            "location": {"latitude": HOME_A[0], "longitude": HOME_A[1] + 0.0005, "accuracy_m": 12}}

    async def post_checkin() -> httpx.Response | None:
        resp = await http.post(f"{checkin}/v1/checkins", json=body,
                               headers={**employee_a, "Idempotency-Key": "a-1", "traceparent": TRACEPARENT})
        return resp if resp.status_code in (200, 201) else None

    accepted = await eventually(post_checkin, timeout=20, what="check-in accepted")
    assert datetime.now(UTC) < deadline, "setup took longer than the window; the test cannot judge on-time"
    checkin_id = accepted.json()["id"]

    async def evaluated() -> dict | None:
        rows = (await http.get(f"{checkin}/v1/checkins/mine", headers=employee_a)).json()["items"]
        row = next((c for c in rows if c["id"] == checkin_id), None)
        return row if row and row["status"] != "pending" else None

    verdict = await eventually(evaluated, timeout=20, what="verdict back in the check-in service")
    assert verdict["status"] == "on_time", verdict
    assert verdict["geofence"] == "inside"
    assert verdict["window_id"] == "lokasi"

    async def window_summary() -> dict | None:
        report = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()
        windows = report.get("windows") or []
        return windows[0] if windows and windows[0]["on_time"] == 1 else None

    summary = await eventually(window_summary, timeout=20, what="reporting daily summary")
    assert summary["expected"] == 2

    # After the deadline (+1 s settle), B — and only B — is overdue, once.
    async def overdue_rows() -> list | None:
        rows = (await http.get(f"{reporting}/v1/reports/overdue", headers=admin,
                               params={"date": str(local_now.date())})).json()["items"]
        return rows or None

    wait = (deadline - datetime.now(UTC)).total_seconds() + 30
    overdue = await eventually(overdue_rows, timeout=wait, what="overdue record")
    assert [(o["nip"], o["status"]) for o in overdue] == [(NIP_B, "missing")]

    closed = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()["windows"][0]
    assert (closed["closed"], closed["on_time"], closed["missing"]) == (True, 1, 1)

    async def notifications() -> list | None:
        rows = (await http.get(f"{notify}/v1/notifications", headers=admin, params={"kind": "overdue"})).json()["items"]
        return rows or None

    # (the letter's announcement is recorded for each employee too: skipped, no channel configured)
    sent = await eventually(notifications, timeout=20, what="notification recorded")
    assert len(sent) == 1
    assert sent[0]["recipient"] == NIP_B
    assert sent[0]["source_event_type"] == "hadir.report.overdue.v1"
    assert "belum kami terima" in sent[0]["body"]

    # Exactly one report.overdue event on the topic for this tenant (the relay publishes at least
    # once: a record repeated after a slow acknowledgement carries the same event id).
    ours = await read_to_end(e2e_kafka, topics.REPORT_OVERDUE, tenant)
    assert len(event_ids(ours)) == 1
    assert {r.key for r in ours} == {f"{tenant}/{NIP_B}".encode()}

    # The trace of the HTTP request travels with the check-in and its verdict, and into the logs.
    for topic in (topics.CHECKIN_RECEIVED, topics.CHECKIN_EVALUATED):
        records = await read_to_end(e2e_kafka, topic, tenant)
        assert len(event_ids(records)) == 1, topic
        assert {dict(r.headers)["traceparent"].decode().split("-")[1] for r in records} == {TRACE_ID}, topic
    for name in ("checkin", "policy"):
        assert TRACE_ID in suite[name].log_path.read_text(), f"trace id not in {name}'s JSON logs"

