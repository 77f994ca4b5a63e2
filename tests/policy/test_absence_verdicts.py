"""The evaluator (:func:`services.policy.evaluator.judge_all`) with absences on real PostgreSQL: a day
an approved absence excuses is judged ``not_required`` (a requested, rejected or other day is not);
an official trip's alternative place is an allowed place on its days (kind ``other``); every verdict
names the kind of the place the geofence picked; the absences cost one statement per batch."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.policy import PolicyContent, local_date
from services.contracts.rules.calendar import is_working_day
from tests.policy.conftest import PolicyService, nip_for, setup_tenant
from tests.policy.test_evaluator_batch import EVERY_HOUR, HOME, checkin, judged
from tools import seed

pytestmark = pytest.mark.infra

WIB = ZoneInfo("Asia/Jakarta")
JAKARTA = (-6.2009, 106.8272)  # about 90 km from home
TRIP = {"name": "Kementerian PANRB", "latitude": JAKARTA[0], "longitude": JAKARTA[1], "radius_m": 300}


def working_day(today: date) -> date:
    """A past day that, like the day two days later, the letter (every day) and the national
    calendar both call a working day."""
    content = PolicyContent.model_validate(seed.letter("x", "x", today, [EVERY_HOUR])["content"])
    return next(d for d in (today - timedelta(days=n) for n in range(10, 25))
                if is_working_day(d, content, None) and is_working_day(d + timedelta(days=2), content, None))


async def test_approved_absences_excuse_their_days_and_trips_allow_their_place(policy: PolicyService,
                                                                                tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({"dinas": seed.unit("Dinas")})
    sick, traveller, pending, rejected, present = nips = [nip_for(i) for i in range(5)]
    await seeder.employees({n: {"name": f"Pegawai {i}", "unit_id": "dinas", "places": [seed.home(HOME)]}
                            for i, n in enumerate(nips)})
    today = local_date(datetime.now(UTC), "Asia/Jakarta")
    await seeder.letter(seed.letter("800/7-BKD/2026", "Uji", today - timedelta(days=30), [EVERY_HOUR]))
    day = working_day(today)

    async def absence(nip: str, kind: str, first: date, last: date, decision: str | None, **extra: object) -> None:
        me = policy.tokens.employee(tenant, nip, "dinas")
        r = await policy.client.post("/v1/me/absences", headers=me, json={
            "kind": kind, "start": str(first), "end": str(last), "reason": "Keperluan dinas", **extra})
        assert r.status_code == 201, r.text
        if decision is not None:
            r = await policy.client.post(f"/v1/absences/{r.json()['id']}/decision", headers=admin,
                                         json={"decision": decision, "note": "Keputusan"})
            assert r.status_code == 200, r.text

    await absence(sick, "sakit", day - timedelta(days=1), day + timedelta(days=1), "approve")
    await absence(traveller, "dinas_luar", day, day, "approve", place=TRIP)
    await absence(pending, "izin", day, day, None)
    await absence(rejected, "cuti", day, day, "reject")

    at = datetime.combine(day, time(9, 0), tzinfo=WIB)
    batch = [(tenant, checkin(sick, at, HOME)),
             (tenant, checkin(sick, at + timedelta(days=2), HOME)),  # the day after the leave
             (tenant, checkin(traveller, at, JAKARTA)),
             (tenant, checkin(pending, at, HOME)),
             (tenant, checkin(rejected, at, HOME)),
             (tenant, checkin(present, at, JAKARTA))]
    statements: list[str] = []
    verdicts = await judged(policy, [batch], statements)
    seen = [(v["status"], v["geofence"], v["nearest_place"], v["place_kind"]) for v in verdicts]
    assert seen[0] == ("not_required", "inside", "Rumah", "home")
    assert seen[1] == ("on_time", "inside", "Rumah", "home")
    assert seen[2] == ("not_required", "inside", "Kementerian PANRB", "other")
    assert seen[3:] == [("on_time", "inside", "Rumah", "home"), ("on_time", "inside", "Rumah", "home"),
                        ("on_time", "outside", "Rumah", "home")]
    assert verdicts[2]["distance_m"] < 1
    assert sum("absences" in s for s in statements) == 1


async def test_a_cancelled_absence_keeps_the_days_before_the_cancellation(policy: PolicyService,
                                                                         tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({"dinas": seed.unit("Dinas")})
    nip = nip_for(7)
    await seeder.employees({nip: {"name": "Pegawai", "unit_id": "dinas", "places": [seed.home(HOME)]}})
    today = local_date(datetime.now(UTC), "Asia/Jakarta")
    await seeder.letter(seed.letter("800/8-BKD/2026", "Uji", today - timedelta(days=30), [EVERY_HOUR]))
    day = working_day(today)
    me = policy.tokens.employee(tenant, nip, "dinas")
    asked = (await policy.client.post("/v1/me/absences", headers=me, json={
        "kind": "cuti", "start": str(day), "end": str(today + timedelta(days=3)), "reason": "Cuti tahunan"})).json()
    await policy.client.post(f"/v1/absences/{asked['id']}/decision", headers=admin, json={"decision": "approve"})
    r = await policy.client.post(f"/v1/me/absences/{asked['id']}/cancel", headers=me)
    assert r.status_code == 200 and r.json()["cancelled_from"] == str(today), r.text
    [before] = await judged(policy, [[(tenant, checkin(nip, datetime.combine(day, time(9), tzinfo=WIB), HOME))]])
    assert before["status"] == "not_required"  # already excused before the cancellation: stays so
