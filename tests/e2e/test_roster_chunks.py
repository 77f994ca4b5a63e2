"""A large roster and an override, through policy's API, its outbox, real Kafka and reporting.

41 employees over 67 days are 2,747 assignments, which policy publishes in two chunks; then a
unit head sends one employee to the office on the day. Reporting's daily report counts all
41 in the unit, 11 in the office (25 %, rounded up), then 12. Before ``roster.published`` said
what it replaces, the second chunk erased the first (30 of 41 unknown, quota not met) and the
override erased the rest of its day.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

STAFF = [f"198001012005011{i:03d}" for i in range(1, 42)]


async def test_a_chunked_roster_and_an_override_reach_reporting_whole(
    suite: Suite, tokens: Tokens, http: httpx.AsyncClient
) -> None:
    tenant = f"roster-{uuid.uuid4().hex[:8]}"
    admin = tokens.admin(tenant)
    policy, reporting = suite["policy"].url, suite["reporting"].url
    tz, local_now = now_with_room(timedelta(minutes=10))
    today = local_now.date()
    seeder = Seeder(http, policy, admin)
    await seeder.directory(name="Pemerintah Provinsi Uji", timezone=tz, units={"bkd": seed.unit("BKD")},
                           employees={n: {"name": f"Pegawai {n[-3:]}", "unit_id": "bkd"} for n in STAFF},
                           concurrency=8)
    await seeder.letter(seed.letter("800/7-BKD/2026", "Uji roster", today - timedelta(days=40), []))

    r = await seeder.call("POST", "/v1/units/bkd/rosters", json={"start": str(today - timedelta(days=33)),
                                                                  "end": str(today + timedelta(days=33))})
    modes = {a["employee_id"]: a["mode"] for a in r.json()["assignments"] if a["date"] == str(today)}
    assert len(r.json()["assignments"]) == 2747 and len(modes) == 41
    assert sorted(modes.values()).count("wfo") == 11

    async def office(expected: tuple[int, int, int, bool]) -> None:
        async def probe() -> tuple | None:
            report = (await http.get(f"{reporting}/v1/reports/daily", headers=admin,
                                     params={"date": str(today)})).json()
            units = {u["unit_id"]: u["in_office"] for u in report.get("units", [])}
            got = tuple(units.get("bkd", {}).get(k) for k in ("wfo", "wfh", "unknown", "meets_quota"))
            return got if got == expected else None

        await eventually(probe, timeout=30, what=f"reporting's in-office figures {expected}")

    await office((11, 30, 0, True))
    home = next(n for n, m in sorted(modes.items()) if m == "wfh")
    await seeder.call("PUT", f"/v1/units/bkd/rosters/{today}/{home}", json={"mode": "wfo", "reason": "Piket"})
    await office((12, 29, 0, True))
