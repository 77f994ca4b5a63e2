"""A check-in accepted before its window's deadline is never declared overdue because the
pipeline was slow, end to end on real Kafka and PostgreSQL: with the policy evaluator stopped,
two employees check in before the deadline; past the deadline reporting holds the window
(it does not close it by the clock); once the evaluator is back the window closes and only the
employee who sent nothing is overdue."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

HOME = (-6.1202, 106.1503)
NIPS = ("198703152010011011", "199002202015032012", "199105052016041013")  # A, B check in; C does not


def held_closures(metrics_text: str) -> float:
    line = next((x for x in metrics_text.splitlines() if x.startswith("hadir_reporting_held_closures ")), None)
    return float(line.split()[1]) if line else 0.0


async def test_a_paused_evaluator_holds_the_closure_and_no_one_in_flight_is_overdue(
    suite: Suite, tokens: Tokens, http: httpx.AsyncClient
) -> None:
    tenant = f"hold-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    checkin, reporting = suite["checkin"].url, suite["reporting"].url
    tz, local_now = now_with_room(timedelta(minutes=10))
    seeder = Seeder(http, suite["policy"].url, admin)
    await seeder.directory(name="Pemerintah Kota Uji", timezone=tz, units={"bkd": seed.unit("BKD")},
                           employees={n: {"name": f"Pegawai {n[-3:]}", "unit_id": "bkd", "places": [seed.home(HOME)]}
                                      for n in NIPS})
    start, end_local = seed.opened_now(local_now, timedelta(seconds=45))
    await seeder.letter(seed.letter("800/7-BKD/2026", "Uji penahanan", local_now.date(),
                                    [seed.window("lokasi", "Lokasi", start, end_local, ["location"])]))
    deadline = end_local.astimezone(UTC)
    people = {n: tokens.employee(tenant, n, "bkd") for n in NIPS}

    async def post(nip: str, kind: str, key: str) -> httpx.Response | None:
        body: dict = {"kind": kind, "captured_at": datetime.now(UTC).isoformat()}
        if kind == "location":
            body["location"] = {"latitude": HOME[0], "longitude": HOME[1] + 0.0003, "accuracy_m": 10}
        else:
            body["activity_text"] = "Menyusun laporan"
        response = await http.post(f"{checkin}/v1/checkins", json=body,
                                   headers={**people[nip], "Idempotency-Key": key})
        return response if response.status_code == 201 else None  # 403 until the directory arrived

    for nip in NIPS[:2]:  # the check-in service knows A and B (an activity report: not what the window asks)
        await eventually(lambda nip=nip: post(nip, "activity_report", f"{nip}-known"), timeout=30,
                         what="the check-in service knows the employee")

    suite["policy"].stop()
    try:
        for nip in NIPS[:2]:
            assert await post(nip, "location", f"{nip}-lokasi") is not None
        assert datetime.now(UTC) < deadline, "setup took longer than the window; the test cannot judge"

        async def held() -> float | None:
            value = held_closures((await http.get(f"{reporting}/metrics")).text)
            return value if value >= 1 else None

        wait = (deadline - datetime.now(UTC)).total_seconds() + 30
        await eventually(held, timeout=wait, what="reporting holding the window past its deadline")
        overdue = (await http.get(f"{reporting}/v1/reports/overdue", headers=admin,
                                  params={"date": str(local_now.date())})).json()["items"]
        assert overdue == [], "the window closed while check-ins accepted before its deadline were in flight"
    finally:
        suite["policy"].start()
        await asyncio.to_thread(suite.wait_ready, 120, ("policy",))

    async def overdue_rows() -> list | None:
        rows = (await http.get(f"{reporting}/v1/reports/overdue", headers=admin,
                               params={"date": str(local_now.date())})).json()["items"]
        return rows or None

    rows = await eventually(overdue_rows, timeout=60, what="the window closed once the evaluator was back")
    assert [(o["nip"], o["status"]) for o in rows] == [(NIPS[2], "missing")]
    window = (await http.get(f"{reporting}/v1/reports/daily", headers=admin)).json()["windows"][0]
    assert (window["on_time"], window["missing"], window["forced_close"]) == (2, 1, False)
