"""Over real Kafka: what policy judges ``not_required`` is never expected by reporting.

One letter, two windows closing together: ``lokasi`` asks only a location share (a
WFH-only kind), ``apel`` asks attendance or the activity report. Three employees:

- ``GURU`` — a teacher, exempt, so WFO; shares their location from the office in
  ``lokasi`` and does nothing in ``apel``;
- ``PIKET`` — alone in a 25 % unit, so the generated roster puts them in the office;
  shares their location from the office in ``lokasi`` and sends the activity report in
  ``apel`` (a WFH-only kind in a window WFO staff are asked for: it fills it);
- ``RUMAH`` — no roster, no exemption (work mode unknown); does nothing.

Policy judges both office location shares ``not_required`` and the activity report
``on_time``. Reporting sends ``report.due_soon`` and ``report.overdue`` about ``lokasi``
to ``RUMAH`` only, and about ``apel`` to ``GURU`` and ``RUMAH``; its daily report counts
one expected (missing) in ``lokasi`` and three expected, one on time, two missing in
``apel``. Before the shared rule, policy judged PIKET's activity report ``not_required``
while reporting expected ``apel`` of them: a reminder, an overdue notice and "Tidak
lapor" for someone who had checked in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.contracts import topics
from tests.support import infra, suites
from tests.support.records import records_of
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.suite import Suite
from tools.zones import zone_with_room

OFFICE = (-6.1200, 106.1503)  # KP3B, Serang
HOME = (-6.1405, 106.1722)
GURU, PIKET, RUMAH = "197907152005012004", "198801012015031001", "199002202015032002"
WINDOW_SECONDS = 75  # from the letter to the deadline: setup and three check-ins fit well within
DUE_SOON_SECONDS = 25


@pytest.fixture(scope="module")
def wfo_kafka() -> Iterator[str]:
    """A broker of its own: other suites of the session run the same consumer groups."""
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
async def wfo_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return await suites.databases(postgres_server, "hadir_wfo")


@pytest.fixture(scope="module")
def wfo_suite(wfo_kafka: str, wfo_databases: dict[str, str], dev_keys: tuple[Path, Path],
              artifacts_dir: Path) -> Iterator[Suite]:
    """The four services with reminders on (the e2e suite turns them off)."""
    suite = suites.build(log_dir=artifacts_dir / "wfo-logs", kafka=wfo_kafka, jwks=dev_keys[1],
                         database_urls=wfo_databases, first_port=18201,
                         env={"HADIR_REPORTING_DUE_SOON_MINUTES": str(DUE_SOON_SECONDS / 60)})
    with suites.running(suite, timeout=120) as started:
        yield started


async def test_wfo_staff_are_never_expected_for_what_policy_judges_not_required(
    wfo_suite: Suite, wfo_kafka: str, tokens: Tokens
) -> None:
    tenant = f"wfo-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    policy, checkin, reporting = (wfo_suite[n].url for n in ("policy", "checkin", "reporting"))
    now = datetime.now(UTC)
    tz = zone_with_room(now, timedelta(minutes=15))
    local_now = now.astimezone(ZoneInfo(tz))
    today = local_now.date()

    async with httpx.AsyncClient(timeout=10) as http:
        async def ok(method: str, url: str, **kw: object) -> httpx.Response:
            r = await http.request(method, url, headers=admin, **kw)  # type: ignore[arg-type]
            assert r.status_code in (200, 201), r.text
            return r

        await ok("PUT", f"{policy}/v1/tenant", json={"name": "Pemprov Uji", "kind": "province", "timezone": tz})
        for unit in ("disdik", "bpbd", "bkd"):
            await ok("PUT", f"{policy}/v1/units/{unit}", json={"name": unit.upper(), "sector": "non_essential"})
        places = [{"name": "Kantor KP3B", "kind": "office", "latitude": OFFICE[0], "longitude": OFFICE[1]},
                  {"name": "Rumah", "kind": "home", "latitude": HOME[0], "longitude": HOME[1]}]
        for nip, unit, teacher in ((GURU, "disdik", True), (PIKET, "bpbd", False), (RUMAH, "bkd", False)):
            await ok("PUT", f"{policy}/v1/employees/{nip}", json={
                "name": f"Pegawai {nip[-3:]}", "unit_id": unit, "is_teacher": teacher, "places": places})

        start = (local_now - timedelta(minutes=10)).time().replace(microsecond=0)
        end_local = (local_now + timedelta(seconds=WINDOW_SECONDS)).replace(microsecond=0)
        window = {"start": str(start), "end": str(end_local.time()), "grace_minutes": 0}
        await ok("POST", f"{policy}/v1/policies", json={
            "number": "800/2-BKD/2026", "title": "Uji WFO", "signatory": "Sekda", "valid_from": str(today),
            "content": {"windows": [{"id": "lokasi", "name": "Lokasi", "kinds": ["location"], **window},
                                    {"id": "apel", "name": "Apel", "kinds": ["attendance", "activity_report"],
                                     **window}],
                        "working_days": [1, 2, 3, 4, 5, 6, 7]},
        })
        deadline = end_local.astimezone(UTC)
        roster = await ok("POST", f"{policy}/v1/units/bpbd/rosters", json={"start": str(today), "end": str(today)})
        assert [(a["employee_id"], a["mode"]) for a in roster.json()["assignments"]] == [(PIKET, "wfo")]

        # Check-ins, once the check-in service knows each employee.
        at_office = {"latitude": OFFICE[0], "longitude": OFFICE[1] + 0.0003, "accuracy_m": 10}
        sent = [(GURU, "disdik", {"kind": "location", "location": at_office}),
                (PIKET, "bpbd", {"kind": "location", "location": at_office}),
                (PIKET, "bpbd", {"kind": "activity_report", "activity_text": "Rekap data bencana"})]
        ids: dict[str, tuple[str, str]] = {}
        for i, (nip, unit, body) in enumerate(sent):
            headers = {**tokens.employee(tenant, nip, unit), "Idempotency-Key": f"wfo-{i}"}

            async def post(body: dict = body, headers: dict = headers) -> httpx.Response | None:
                r = await http.post(f"{checkin}/v1/checkins", headers=headers,
                                    json={**body, "captured_at": datetime.now(UTC).isoformat()})
                return r if r.status_code in (200, 201) else None

            ids[(await eventually(post, timeout=20, what=f"check-in {i} accepted")).json()["id"]] = (nip, unit)

        # Policy's verdicts, as the check-in service records them.
        async def verdicts() -> dict | None:
            seen = {}
            for nip, unit in set(ids.values()):
                rows = (await http.get(f"{checkin}/v1/checkins/mine",
                                       headers=tokens.employee(tenant, nip, unit))).json()
                seen |= {(nip, r["kind"]): r for r in rows if r["id"] in ids and r["status"] != "pending"}
            return seen if len(seen) == len(ids) else None

        judged = await eventually(verdicts, timeout=30, what="three verdicts")
        assert {k: (v["status"], v["window_id"]) for k, v in judged.items()} == {
            (GURU, "location"): ("not_required", "lokasi"),
            (PIKET, "location"): ("not_required", "lokasi"),
            (PIKET, "activity_report"): ("on_time", "apel"),
        }
        assert judged[(GURU, "location")]["geofence"] == "inside"

        # Reporting has the roster and the activity report before reminders go out (else the
        # test cannot judge them): lokasi expects RUMAH only, apel all three, PIKET on time.
        async def projected() -> dict | None:
            report = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()
            live = {w["window_id"]: (w["expected"], w["on_time"]) for w in report.get("windows", [])}
            return live if live == {"lokasi": (1, 0), "apel": (3, 1)} else None

        await eventually(projected, timeout=20, what="the live daily report")
        assert datetime.now(UTC) < deadline - timedelta(seconds=DUE_SOON_SECONDS), (
            "setup took longer than the time before reminders; the test cannot judge them")

        # After the deadline: overdue for the windows each one was expected in, and nothing else.
        async def overdue() -> list | None:
            rows = (await http.get(f"{reporting}/v1/reports/overdue", headers=admin,
                                   params={"date": str(today)})).json()
            return rows if len(rows) >= 3 else None

        wait = (deadline - datetime.now(UTC)).total_seconds() + 30
        rows = await eventually(overdue, timeout=wait, what="overdue records")
        assert sorted((r["nip"], r["window_id"], r["status"]) for r in rows) == [
            (GURU, "apel", "missing"), (RUMAH, "apel", "missing"), (RUMAH, "lokasi", "missing")]

        closed = {w["window_id"]: w for w in (await http.get(f"{reporting}/v1/reports/daily",
                                                             headers=admin)).json()["windows"]}
        assert [(closed[w]["expected"], closed[w]["on_time"], closed[w]["missing"]) for w in ("lokasi", "apel")] == [
            (1, 0, 1), (3, 1, 2)]

    expected_notices = [(GURU, "apel"), (RUMAH, "apel"), (RUMAH, "lokasi")]
    for topic in (topics.REPORT_DUE_SOON, topics.REPORT_OVERDUE):
        records = await records_of(wfo_kafka, topic, tenant)
        notices = sorted((p["employee_id"], p["window_id"]) for p in (json.loads(r.value) for r in records))
        assert notices == expected_notices, topic
