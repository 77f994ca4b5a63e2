"""Rosters through the API on real PostgreSQL: 1,000 employees in 20 units over a
month meet every day's quota and the fairness bound; overrides are audited and
role-checked; the plan is stored and published."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from math import ceil

import pytest
from sqlalchemy import func, select

from services.policy.store import RosterDay
from tests.policy.conftest import PolicyService, nip_for, setup_tenant

pytestmark = pytest.mark.infra

PUBLISHED = "hadir.roster.published.v1"
DEPARTMENTS = [f"opd-{i:02d}" for i in range(10)]
UPTS = [f"upt-{i:02d}" for i in range(10)]  # upt-NN hangs under opd-NN and inherits its sector
OWN_SECTOR = {"opd-00": "kritis", "opd-01": "esensial", "opd-02": "esensial", "opd-03": "esensial"}
LETTER_SECTOR = {"opd-09": "essential"}  # the letter puts one more department in "essential"
QUOTA = {"critical": 100, "essential": 50, "non_essential": 25}
PER_UNIT = 50


def expected_sector(unit: str) -> str:
    department = unit.replace("upt-", "opd-")
    if department in LETTER_SECTOR:
        return LETTER_SECTOR[department]
    return {"kritis": "critical", "esensial": "essential"}.get(OWN_SECTOR.get(department, ""), "non_essential")


def next_month() -> tuple[date, date]:
    today = datetime.now(UTC).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def is_exempt(i: int) -> bool:
    return i % 13 == 0 or i % 29 == 0  # teachers and front-line staff


async def build_directory(policy: PolicyService, tenant: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    admin = await setup_tenant(policy, tenant)
    units = ["kode,nama,jenis,induk,sektor"]
    units += [f"{d},Perangkat Daerah {d},dinas,,{OWN_SECTOR.get(d, '')}" for d in DEPARTMENTS]
    units += [f"{u},UPT {u},upt,{u.replace('upt-', 'opd-')}," for u in UPTS]
    r = await policy.client.post("/v1/imports/units", headers={**admin, "content-type": "text/csv"},
                                 content="\n".join(units).encode())
    assert r.status_code == 200, r.text
    members: dict[str, list[str]] = defaultdict(list)
    rows = ["nip,nama,unit,guru,pelayanan"]
    for i in range(PER_UNIT * 20):
        unit = (DEPARTMENTS + UPTS)[i % 20]
        nip = nip_for(i)
        members[unit].append(nip)
        rows.append(f"{nip},Pegawai {i},{unit},{'ya' if i % 13 == 0 else 'tidak'},{'ya' if i % 29 == 0 else 'tidak'}")
    r = await policy.client.post("/v1/imports/employees", headers={**admin, "content-type": "text/csv"},
                                 content="\n".join(rows).encode())
    assert r.status_code == 200, r.text
    assert r.json()["created"] == PER_UNIT * 20
    return admin, members


async def test_a_month_of_rosters_for_1000_employees_meets_every_quota_fairly(
    policy: PolicyService, tenant: str
) -> None:
    admin, members = await build_directory(policy, tenant)
    exempt = {nip_for(i) for i in range(PER_UNIT * 20) if is_exempt(i)}
    first, last = next_month()
    holiday = first + timedelta(days=(7 - first.weekday()) % 7 + 2)  # a Wednesday
    r = await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/258-BKD/2022", "title": "Sistem kerja ASN", "valid_from": str(first - timedelta(days=40)),
        "content": {"unit_sectors": LETTER_SECTOR, "holidays": [str(holiday)]},
    })
    assert r.status_code == 201, r.text
    working = [first + timedelta(days=i) for i in range((last - first).days + 1)
               if (first + timedelta(days=i)).weekday() < 5 and first + timedelta(days=i) != holiday]

    for unit in DEPARTMENTS + UPTS:
        r = await policy.client.post(f"/v1/units/{unit}/rosters", headers=admin,
                                     json={"start": str(first), "end": str(last)})
        assert r.status_code == 200, (unit, r.text)
        assert r.json()["changed"] == PER_UNIT * len(working)

    for unit in DEPARTMENTS + UPTS:
        roster = (await policy.client.get(f"/v1/units/{unit}/rosters", headers=admin,
                                          params={"start": str(first), "end": str(last)})).json()
        quota = QUOTA[expected_sector(unit)]
        required = ceil(PER_UNIT * quota / 100)
        by_day: dict[str, dict[str, str]] = defaultdict(dict)
        for a in roster["assignments"]:
            by_day[a["date"]][a["employee_id"]] = a["mode"]
        assert sorted(by_day) == [str(d) for d in working], unit
        for day, modes in by_day.items():
            assert set(modes) == set(members[unit]), (unit, day)
            office = [n for n, m in modes.items() if m == "wfo"]
            assert len(office) >= required, (unit, day, len(office), required)
            assert exempt & set(members[unit]) <= set(office), (unit, day)
        wfo = Counter(n for modes in by_day.values() for n, m in modes.items() if m == "wfo")
        rotating = [wfo[n] for n in members[unit] if n not in exempt]
        assert max(rotating) - min(rotating) <= 1, (unit, sorted(rotating))
        assert all(d["quota_pct"] == quota and d["in_office"] >= d["required_in_office"] == required
                   for d in roster["days"]), unit

    async with policy.rt.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(RosterDay).where(RosterDay.tenant == tenant))
    assert stored == PER_UNIT * 20 * len(working)
    events = await policy.outbox(tenant, PUBLISHED)
    assert sum(len(e["assignments"]) for e in events) == stored
    assert all(len(e["assignments"]) <= 2000 for e in events)

    # Regenerating the same month changes nothing and publishes nothing.
    r = await policy.client.post("/v1/units/opd-05/rosters", headers=admin,
                                 json={"start": str(first), "end": str(last)})
    assert r.json()["changed"] == 0
    assert len(await policy.outbox(tenant, PUBLISHED)) == len(events)


async def test_unit_heads_override_their_own_unit_within_the_quota_and_are_audited(
    policy: PolicyService, tenant: str
) -> None:
    admin = await setup_tenant(policy, tenant)
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})  # non-essential: 25 %
    await policy.client.put("/v1/units/dinkes", headers=admin, json={"name": "Dinkes", "sector": "critical"})
    nips = [nip_for(i) for i in range(8)]
    for i, nip in enumerate(nips):
        r = await policy.client.put(f"/v1/employees/{nip}", headers=admin,
                                    json={"name": f"P{i}", "unit_id": "bkd", "is_front_line": i == 0})
        assert r.status_code == 200
    monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).date().weekday())
    await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/9-BKD/2026", "title": "Sistem kerja", "valid_from": str(monday - timedelta(days=7))})

    head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="bkd", subject="kabid@bkd")
    other_head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="dinkes")
    week = {"start": str(monday), "end": str(monday + timedelta(days=4))}
    assert (await policy.client.post("/v1/units/bkd/rosters", headers=other_head, json=week)).status_code == 403
    r = await policy.client.post("/v1/units/bkd/rosters", headers=head, json=week)
    assert r.status_code == 200, r.text
    day0 = [a for a in r.json()["assignments"] if a["date"] == str(monday)]
    office = sorted(a["employee_id"] for a in day0 if a["mode"] == "wfo")
    home = sorted(a["employee_id"] for a in day0 if a["mode"] == "wfh")
    assert len(office) == 2 and nips[0] in office  # ceil(8 * 25 %) = 2, the front-line one included
    rotating_in = next(n for n in office if n != nips[0])
    url = f"/v1/units/bkd/rosters/{monday}"

    r = await policy.client.put(f"{url}/{rotating_in}", headers=head, json={"mode": "wfh", "reason": "Cuti"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mode"]  # below the quota
    r = await policy.client.put(f"{url}/{nips[0]}", headers=head, json={"mode": "wfh", "reason": "Rapat luar"})
    assert r.status_code == 422  # exempt
    assert (await policy.client.put(f"{url}/{home[0]}", headers=other_head,
                                    json={"mode": "wfo", "reason": "Piket"})).status_code == 403
    assert (await policy.client.put(f"{url}/{home[0]}", headers=head, json={"mode": "wfo", "reason": " "}
                                    )).status_code == 422
    before = len(await policy.outbox(tenant, PUBLISHED))
    r = await policy.client.put(f"{url}/{home[0]}", headers=head, json={"mode": "wfo", "reason": "Piket layanan"})
    assert r.status_code == 200, r.text
    r = await policy.client.put(f"{url}/{rotating_in}", headers=head, json={"mode": "wfh", "reason": "Dinas luar"})
    assert r.status_code == 200, r.text
    assert (await policy.client.put(f"{url}/{rotating_in}", headers=head,
                                    json={"mode": "wfh", "reason": "lagi"})).status_code == 204

    audit = (await policy.client.get("/v1/units/bkd/rosters/overrides", headers=head, params=week)).json()
    assert [(a["nip"], a["old_mode"], a["new_mode"], a["reason"], a["actor"]) for a in audit] == [
        (home[0], "wfh", "wfo", "Piket layanan", "kabid@bkd"), (rotating_in, "wfo", "wfh", "Dinas luar", "kabid@bkd")]
    events = (await policy.outbox(tenant, PUBLISHED))[before:]
    assert [(e["assignments"][0]["employee_id"], e["assignments"][0]["mode"], e["assignments"][0]["reason"])
            for e in events] == [(home[0], "wfo", "Piket layanan"), (rotating_in, "wfh", "Dinas luar")]

    mine = (await policy.client.get("/v1/rosters/mine", headers=policy.tokens.employee(tenant, home[0], "bkd"),
                                    params=week)).json()
    assert len(mine) == 5 and mine[0] == {"date": str(monday), "mode": "wfo", "unit_id": "bkd",
                                          "reason": "Piket layanan"}
    r = await policy.client.post("/v1/units/bkd/rosters", headers=head, json=week)
    assert r.status_code == 409  # would undo the head's decisions
    r = await policy.client.post("/v1/units/bkd/rosters", headers=head, json={**week, "replace_overrides": True})
    assert r.status_code == 200
    far = {"start": str(monday - timedelta(days=30)), "end": str(monday)}
    assert (await policy.client.post("/v1/units/bkd/rosters", headers=admin, json=far)).status_code == 409
    assert (await policy.client.post("/v1/units/nope/rosters", headers=admin, json=week)).status_code == 404
    bad = {"start": str(monday), "end": str(monday - timedelta(days=1))}
    assert (await policy.client.post("/v1/units/bkd/rosters", headers=admin, json=bad)).status_code == 422
