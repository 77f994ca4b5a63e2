"""Over real Kafka and PostgreSQL, the four services: what a head's and the BKD's decisions change.

One unit (``bkd``), one letter with two windows closing together, ``apel`` (attendance) and
``lokasi`` (a location share), and five people:

- ``SAKIT`` asks for sick leave today and the head approves it: no ``report.due_soon``, no
  ``report.overdue``, no notice but the decision (and the letter everyone hears of), no
  escalation (to the head or the BKD);
  the daily report, its rows, the CSV export and the monthly score show the two windows as
  *excused* (the score has no expected window for them: no score);
- ``TOLAK`` asks for permission (izin) and the head rejects it: nothing changes, they are
  reminded, overdue, escalated to the head and the BKD; they then contest ``apel`` as missed,
  the head approves, and the report shows ``apel`` excused with the original ``missing`` kept;
- ``KANTOR`` and ``KEPALA`` (the head) check in at the office, ``RUMAH`` at home: actual
  versus quota counts two in the office, not three, and the excused one leaves the denominator;
- the BKD's sample of the day's location shares for a seed is the same on every call.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.contracts import topics
from services.notify.schemas import TenantSettingsIn
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
SAKIT, TOLAK, KANTOR, RUMAH, KEPALA = (
    "198501012010011001", "198602022011021002", "198703032012031003", "198804042013041004", "197001012000011005")
NAMES = {SAKIT: "Sari Sakit", TOLAK: "Tono Tolak", KANTOR: "Kiki Kantor", RUMAH: "Rudi Rumah", KEPALA: "Kartini Kepala"}
WINDOW_SECONDS = 150  # from the letter to the deadline: set-up, decisions and check-ins fit within
DUE_SOON_SECONDS = 30


@pytest.fixture(scope="module")
def decisions_suite(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
                    artifacts_dir: Path) -> Iterator[Suite]:
    """The four services on a broker of the module's own, with reminders on (the e2e suite turns them off)."""
    with suites.started(module_kafka, module_databases, dev_keys, artifacts_dir / "absences-logs",
                        first_port=18301, timeout=120,
                        env={"HADIR_REPORTING_DUE_SOON_MINUTES": str(DUE_SOON_SECONDS / 60)}) as started:
        yield started


def at(point: tuple[float, float]) -> dict[str, Any]:
    return {"latitude": point[0], "longitude": point[1] + 0.0003, "accuracy_m": 10}


async def test_an_approved_sick_leave_excuses_and_a_rejected_one_changes_nothing(
    decisions_suite: Suite, module_kafka: str, tokens: Tokens
) -> None:
    tenant = f"abs-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    head = tokens.headers(tenant=tenant, roles=["unit_head", "employee"], nip=KEPALA, unit="bkd", subject=KEPALA)
    me = {nip: tokens.employee(tenant, nip, "bkd") for nip in NAMES}
    policy, checkin, reporting, notify = (decisions_suite[n].url for n in ("policy", "checkin", "reporting", "notify"))
    tz, local_now = now_with_room(timedelta(minutes=20))
    today = local_now.date()

    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, policy, admin)
        places = [seed.place("Kantor BKD", "office", *OFFICE), seed.home(HOME, radius_m=None)]
        await seeder.directory(
            name="Pemkab Uji Cuti", timezone=tz, units={"bkd": seed.unit("BKD")},
            employees={nip: {"name": name, "unit_id": "bkd", "is_unit_head": nip == KEPALA, "places": places}
                       for nip, name in NAMES.items()})
        start, end_local = seed.opened_now(local_now, timedelta(seconds=WINDOW_SECONDS))
        await seeder.letter(seed.letter("800/15-BKD/2026", "Uji cuti", today, [
            seed.window("apel", "Apel pagi", start, end_local, ["attendance"]),
            seed.window("lokasi", "Lokasi pagi", start, end_local, ["location"])]))
        deadline = end_local.astimezone(UTC)

        async def escalate_at_once() -> httpx.Response | None:  # once notify knows the tenant
            got = await http.get(f"{notify}/v1/settings", headers=admin)
            if got.status_code != 200:
                return None
            body = {k: v for k, v in got.json().items() if k in TenantSettingsIn.model_fields}
            put = await http.put(f"{notify}/v1/settings", headers=admin,
                                 json={**body, "escalate_daily": 1, "escalate_bkd_days": 1})
            return put if put.status_code == 200 else None

        await eventually(escalate_at_once, timeout=30, what="notify's escalation settings")

        # The requests and the head's decisions, once policy knows the employees.
        async def ask(nip: str, kind: str) -> dict:
            r = await http.post(f"{policy}/v1/me/absences", headers=me[nip], json={
                "kind": kind, "start": str(today), "end": str(today), "reason": "Demam tinggi, surat dokter menyusul"})
            assert r.status_code == 201, r.text
            return r.json()

        sick, leave = await ask(SAKIT, "sakit"), await ask(TOLAK, "izin")
        approved = await http.post(f"{policy}/v1/absences/{sick['id']}/decision", headers=head,
                                   json={"decision": "approve", "note": "Semoga lekas sembuh"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        rejected = await http.post(f"{policy}/v1/absences/{leave['id']}/decision", headers=head,
                                   json={"decision": "reject", "note": "Ada apel wajib hari ini"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text

        # Check-ins: two at the office, one at home (attendance and a location share each but the head).
        sent = [(KANTOR, {"kind": "attendance", "location": at(OFFICE)}),
                (KANTOR, {"kind": "location", "location": at(OFFICE)}),
                (RUMAH, {"kind": "attendance", "location": at(HOME)}),
                (RUMAH, {"kind": "location", "location": at(HOME)}),
                (KEPALA, {"kind": "attendance", "location": at(OFFICE)})]
        for i, (nip, body) in enumerate(sent):
            headers = {**me[nip], "Idempotency-Key": f"abs-{i}"}

            async def post(body: dict = body, headers: dict = headers) -> httpx.Response | None:
                r = await http.post(f"{checkin}/v1/checkins", headers=headers,
                                    json={**body, "captured_at": datetime.now(UTC).isoformat()})
                return r if r.status_code in (200, 201) else None

            await eventually(post, timeout=30, what=f"check-in {i} accepted")

        # Reporting has the decision and the check-ins before reminders go out (else the test
        # cannot judge them): SAKIT excused in both windows, the rest expected.
        async def projected() -> dict | None:
            report = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()
            live = {w["window_id"]: (w["expected"], w["excused"], w["on_time"]) for w in report.get("windows", [])}
            return live if live == {"apel": (4, 1, 3), "lokasi": (4, 1, 2)} else None

        await eventually(projected, timeout=40, what="the live daily report with SAKIT excused")
        assert datetime.now(UTC) < deadline - timedelta(seconds=DUE_SOON_SECONDS), (
            "set-up took longer than the time before reminders; the test cannot judge them")

        # After the deadline: overdue for TOLAK (both windows) and KEPALA (lokasi), never SAKIT.
        async def overdue() -> list | None:
            rows = (await http.get(f"{reporting}/v1/reports/overdue", headers=admin,
                                   params={"date": str(today)})).json()["items"]
            return rows if len(rows) >= 3 else None

        wait = (deadline - datetime.now(UTC)).total_seconds() + 40
        rows = await eventually(overdue, timeout=wait, what="overdue records")
        assert sorted((r["nip"], r["window_id"]) for r in rows) == [
            (KEPALA, "lokasi"), (TOLAK, "apel"), (TOLAK, "lokasi")]

        report = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()
        closed = {w["window_id"]: w for w in report["windows"]}
        assert [(closed[w]["expected"], closed[w]["excused"], closed[w]["missing"]) for w in ("apel", "lokasi")] == [
            (4, 1, 1), (4, 1, 2)]
        quota = {u["unit_id"]: u for u in report["quota"]["units"]}["bkd"]
        assert (quota["headcount"], quota["excused"], quota["actual_in_office"]) == (5, 1, 2), quota

        day_rows = {(r["nip"], r["window_id"]): r for r in (await http.get(
            f"{reporting}/v1/reports/daily/rows", headers=admin)).json()["items"]}
        assert {w: (day_rows[(SAKIT, w)]["status"], day_rows[(SAKIT, w)]["absence_kind"]) for w in ("apel", "lokasi")} \
            == {"apel": ("excused", "sakit"), "lokasi": ("excused", "sakit")}
        exported = (await http.get(f"{reporting}/v1/reports/daily/export", headers=admin,
                                   params={"format": "csv", "sheet": "rincian"})).text
        excused_name = day_rows[(SAKIT, "apel")]["status_name"]["id"]
        lines = [row for row in csv.reader(io.StringIO(exported)) if SAKIT in row]
        assert len(lines) == 2 and all(excused_name in row for row in lines), exported

        # The BKD's sample of the day's location shares: the same for a seed on every call.
        assert (await http.put(f"{reporting}/v1/reports/sampling", headers=admin,
                               json={"sample_size": 1})).status_code == 200
        samples = [(await http.get(f"{reporting}/v1/reports/daily/{today}/sample", headers=admin,
                                   params={"unit_id": "bkd", "seed": "e2e"})).json() for _ in range(3)]
        drawn = [[i["checkin_id"] for u in s["units"] for i in u["items"]] for s in samples]
        assert len(drawn[0]) == 1 and drawn == [drawn[0]] * 3, samples
        assert samples[0]["units"][0]["candidates"] == 2

        # TOLAK contests the missed apel; the head approves: excused, the original kept.
        contest = await http.post(f"{policy}/v1/me/verdict-corrections", headers=me[TOLAK], json={
            "local_date": str(today), "window_id": "apel", "contested": "missing",
            "explanation": "Aplikasi gagal mengirim, saya hadir apel"})
        assert contest.status_code == 201, contest.text
        decided = await http.post(f"{policy}/v1/verdict-corrections/{contest.json()['id']}/decision", headers=head,
                                  json={"decision": "approve", "note": "Hadir, terlihat di apel"})
        assert decided.status_code == 200, decided.text

        async def corrected() -> dict | None:
            rows = {(r["nip"], r["window_id"]): r for r in (await http.get(
                f"{reporting}/v1/reports/daily/rows", headers=admin)).json()["items"]}
            row = rows[(TOLAK, "apel")]
            return row if row["status"] == "excused" else None

        row = await eventually(corrected, timeout=30, what="the correction in the report")
        assert row["original_status"] == "missing" and row["corrected_at"] is not None

        month = (await http.get(f"{reporting}/v1/reports/monthly", headers=admin,
                                params={"month": today.strftime("%Y-%m")})).json()
        scores = {s["nip"]: s for s in month["employees"]}
        assert (scores[SAKIT]["excused"], scores[SAKIT]["score"]) == (2, None), scores[SAKIT]
        assert (scores[TOLAK]["excused"], scores[TOLAK]["score"]) == (1, 0.0), scores[TOLAK]

        # Notify: SAKIT heard only of the decision; escalations (to the head and the BKD) are TOLAK's.
        async def notices(**params: str) -> list[dict]:
            return (await http.get(f"{notify}/v1/notifications", headers=admin, params=params)).json()["items"]

        async def escalated() -> list | None:
            found = await notices(kind="escalation") + await notices(kind="escalation_bkd")
            return found if {n["kind"] for n in found} == {"escalation", "escalation_bkd"} else None

        escalations = await eventually(escalated, timeout=30, what="escalations to the head and the BKD")
        assert all(NAMES[SAKIT] not in (n["body"] or "") + n["subject"] for n in escalations)
        assert any(NAMES[TOLAK] in (n["body"] or "") + n["subject"] for n in escalations)
        assert {n["kind"] for n in await notices(recipient=SAKIT)} - {"policy_updated"} == {"absence_decided"}
        assert {"due_soon", "overdue"} <= {n["kind"] for n in await notices(recipient=TOLAK)}

    for topic in (topics.REPORT_DUE_SOON, topics.REPORT_OVERDUE):
        records = {dict(r.headers)["ce_id"]: r for r in await read_to_end(module_kafka, topic, tenant)}
        about = {json.loads(r.value)["employee_id"] for r in records.values()}
        assert SAKIT not in about and TOLAK in about, (topic, about)
