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

import httpx
import pytest

from services.contracts import topics
from tests.support import suites
from tests.support.records import read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

OFFICE = (-6.1200, 106.1503)  # KP3B, Serang
HOME = (-6.1405, 106.1722)
GURU, PIKET, RUMAH = "197907152005012004", "198801012015031001", "199002202015032002"
WINDOW_SECONDS = 75  # from the letter to the deadline: setup and three check-ins fit well within
DUE_SOON_SECONDS = 25


@pytest.fixture(scope="module")
def wfo_suite(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
              artifacts_dir: Path) -> Iterator[Suite]:
    """The four services on a broker of the module's own, with reminders on (the e2e suite turns them off)."""
    with suites.started(module_kafka, module_databases, dev_keys, artifacts_dir / "wfo-logs", first_port=18201,
                        timeout=120, env={"HADIR_REPORTING_DUE_SOON_MINUTES": str(DUE_SOON_SECONDS / 60)}) as started:
        yield started


async def test_wfo_staff_are_never_expected_for_what_policy_judges_not_required(
    wfo_suite: Suite, module_kafka: str, tokens: Tokens
) -> None:
    tenant = f"wfo-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    policy, checkin, reporting = (wfo_suite[n].url for n in ("policy", "checkin", "reporting"))
    tz, local_now = now_with_room(timedelta(minutes=15))
    today = local_now.date()

    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, policy, admin)
        places = [seed.place("Kantor KP3B", "office", *OFFICE), seed.home(HOME, radius_m=None)]
        people = ((GURU, "disdik", True), (PIKET, "bpbd", False), (RUMAH, "bkd", False))
        await seeder.directory(
            name="Pemprov Uji", timezone=tz, units={unit: seed.unit(unit.upper()) for _, unit, _ in people},
            employees={nip: {"name": f"Pegawai {nip[-3:]}", "unit_id": unit, "is_teacher": teacher, "places": places}
                       for nip, unit, teacher in people})

        start, end_local = seed.opened_now(local_now, timedelta(seconds=WINDOW_SECONDS))
        await seeder.letter(seed.letter("800/2-BKD/2026", "Uji WFO", today, [
            seed.window("lokasi", "Lokasi", start, end_local, ["location"]),
            seed.window("apel", "Apel", start, end_local, ["attendance", "activity_report"])]))
        deadline = end_local.astimezone(UTC)
        roster = await seeder.call("POST", "/v1/units/bpbd/rosters", json={"start": str(today), "end": str(today)})
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
                                       headers=tokens.employee(tenant, nip, unit))).json()["items"]
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
                                   params={"date": str(today)})).json()["items"]
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
        records = {dict(r.headers)["ce_id"]: r for r in await read_to_end(module_kafka, topic, tenant)}
        notices = sorted((p["employee_id"], p["window_id"]) for p in (json.loads(r.value) for r in records.values()))
        assert notices == expected_notices, topic
