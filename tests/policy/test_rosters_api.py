"""Rosters through the API on real PostgreSQL: 1,000 employees in 20 units over a
month meet every day's quota and the fairness bound; the plan is stored and published;
a unit head rosters and overrides their own unit only, within the quota, never sending an
exempt employee home, with a reason that is audited, published and shown to the employee;
a roster needs a letter on every day, a known unit and a range that does not end before it
starts. Each test has its own tenant."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil

import httpx
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
    admin = await setup_tenant(policy, tenant, national_days=False)  # next month's days: no national holiday
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
    # One revision per unit's roster, its chunks numbered, every one replacing the month.
    by_revision: dict[int, list[dict]] = defaultdict(list)
    for e in events:
        by_revision[e["revision"]].append(e)
    assert sorted(by_revision) == list(range(1, 21))
    for revision, chunks in by_revision.items():
        assert {(e["replaces"], e["unit_id"], e["start"], e["end"], e["chunks"]) for e in chunks} == {
            ("range", chunks[0]["unit_id"], str(first), str(last), len(chunks))}, revision
        assert [e["chunk"] for e in chunks] == list(range(len(chunks))), revision

    # Regenerating the same month changes nothing and publishes nothing.
    r = await policy.client.post("/v1/units/opd-05/rosters", headers=admin,
                                 json={"start": str(first), "end": str(last)})
    assert r.json()["changed"] == 0
    assert len(await policy.outbox(tenant, PUBLISHED)) == len(events)


@dataclass
class Week:
    """Unit ``bkd`` (non-essential: 25 % in the office) with eight employees, ``nips[0]`` front-line
    (exempt), and its roster for next week, generated by the unit's head."""

    admin: dict[str, str]
    head: dict[str, str]
    monday: date
    nips: list[str]
    office: list[str]  # on the Monday, as generated
    home: list[str]

    @property
    def span(self) -> dict[str, str]:
        return {"start": str(self.monday), "end": str(self.monday + timedelta(days=4))}

    @property
    def rotating_in(self) -> str:
        """The one in the office on the Monday who is not exempt."""
        return next(n for n in self.office if n != self.nips[0])


async def bkd_with_a_letter(policy: PolicyService, tenant: str) -> tuple[dict[str, str], date]:
    """Unit ``bkd`` and a letter in force since a week before next Monday: admin headers, that Monday
    (a working day whatever the date: the tenant's calendar has no national days)."""
    admin = await setup_tenant(policy, tenant, national_days=False)
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})  # non-essential: 25 %
    monday = datetime.now(UTC).date() + timedelta(days=7 - datetime.now(UTC).date().weekday())
    r = await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/9-BKD/2026", "title": "Sistem kerja", "valid_from": str(monday - timedelta(days=7))})
    assert r.status_code == 201, r.text
    return admin, monday


async def bkd_week(policy: PolicyService, tenant: str) -> Week:
    admin, monday = await bkd_with_a_letter(policy, tenant)
    nips = [nip_for(i) for i in range(8)]
    for i, nip in enumerate(nips):
        r = await policy.client.put(f"/v1/employees/{nip}", headers=admin,
                                    json={"name": f"P{i}", "unit_id": "bkd", "is_front_line": i == 0})
        assert r.status_code == 200
    head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="bkd", subject="kabid@bkd")
    r = await policy.client.post("/v1/units/bkd/rosters", headers=head,
                                 json={"start": str(monday), "end": str(monday + timedelta(days=4))})
    assert r.status_code == 200, r.text
    day0 = [a for a in r.json()["assignments"] if a["date"] == str(monday)]
    return Week(admin=admin, head=head, monday=monday, nips=nips,
                office=sorted(a["employee_id"] for a in day0 if a["mode"] == "wfo"),
                home=sorted(a["employee_id"] for a in day0 if a["mode"] == "wfh"))


async def override(policy: PolicyService, week: Week, nip: str, mode: str, reason: str,
                   headers: dict[str, str] | None = None) -> httpx.Response:
    """The head (unless ``headers`` say who) sets ``nip``'s mode on the Monday."""
    return await policy.client.put(f"/v1/units/bkd/rosters/{week.monday}/{nip}", headers=headers or week.head,
                                   json={"mode": mode, "reason": reason})


async def monday_office(policy: PolicyService, week: Week) -> list[str]:
    roster = (await policy.client.get("/v1/units/bkd/rosters", headers=week.admin, params=week.span)).json()
    return sorted(a["employee_id"] for a in roster["assignments"]
                  if a["date"] == str(week.monday) and a["mode"] == "wfo")


async def test_a_unit_head_generates_their_units_roster_with_the_quota_and_the_exempt_in_the_office(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    assert len(week.office) == 2 and week.nips[0] in week.office  # ceil(8 * 25 %) = 2, the front-line one included
    assert len(week.home) == 6


async def test_a_unit_head_can_neither_roster_nor_override_another_unit(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    await policy.client.put("/v1/units/dinkes", headers=week.admin, json={"name": "Dinkes", "sector": "critical"})
    other_head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="dinkes")
    r = await policy.client.post("/v1/units/bkd/rosters", headers=other_head, json=week.span)
    assert r.status_code == 403, r.text
    r = await override(policy, week, week.home[0], "wfo", "Piket", headers=other_head)
    assert r.status_code == 403, r.text
    assert await monday_office(policy, week) == week.office


async def test_a_unit_head_overrides_a_day_of_their_unit_within_the_quota(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    r = await override(policy, week, week.home[0], "wfo", "Piket layanan")
    assert r.status_code == 200, r.text
    r = await override(policy, week, week.rotating_in, "wfh", "Dinas luar")  # two stay in the office
    assert r.status_code == 200, r.text
    assert await monday_office(policy, week) == sorted([week.nips[0], week.home[0]])


async def test_an_override_that_would_leave_the_office_under_the_quota_is_refused(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    r = await override(policy, week, week.rotating_in, "wfh", "Cuti")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mode"], r.text
    assert "Kuota WFO 25% (2 orang)" in r.json()["detail"][0]["msg"]
    assert await monday_office(policy, week) == week.office


async def test_an_exempt_employee_cannot_be_sent_home(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    r = await override(policy, week, week.nips[0], "wfh", "Rapat luar")  # the quota would still be met
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mode"], r.text
    assert "dikecualikan" in r.json()["detail"][0]["msg"]  # exempt


async def test_an_override_needs_a_reason(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    r = await override(policy, week, week.home[0], "wfo", " ")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"], r.text


async def test_overrides_are_audited_with_the_old_and_new_mode_the_reason_and_the_actor(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    assert (await override(policy, week, week.rotating_in, "wfh", "Dinas luar")).status_code == 200
    audit = (await policy.client.get("/v1/units/bkd/rosters/overrides", headers=week.head, params=week.span)).json()
    assert [(a["nip"], a["old_mode"], a["new_mode"], a["reason"], a["actor"]) for a in audit] == [
        (week.home[0], "wfh", "wfo", "Piket layanan", "kabid@bkd"),
        (week.rotating_in, "wfo", "wfh", "Dinas luar", "kabid@bkd")]


async def test_an_override_is_published_for_its_day_with_its_reason(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    before = len(await policy.outbox(tenant, PUBLISHED))
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    events = (await policy.outbox(tenant, PUBLISHED))[before:]
    assert [(e["start"], e["end"], [(a["employee_id"], a["date"], a["mode"], a["reason"]) for a in e["assignments"]])
            for e in events] == [(str(week.monday), str(week.monday),
                                  [(week.home[0], str(week.monday), "wfo", "Piket layanan")])]


async def test_each_roster_change_says_what_it_replaces_under_the_next_revision(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    r = await policy.client.post("/v1/units/bkd/rosters", headers=week.head, json={**week.span,
                                                                                    "replace_overrides": True})
    assert r.status_code == 200, r.text
    for nip in week.nips:  # the unit empties: its next roster is an empty range, still published
        r = await policy.client.put(f"/v1/employees/{nip}", headers=week.admin,
                                    json={"name": "P", "unit_id": "bkd", "active": False})
        assert r.status_code == 200, r.text
    r = await policy.client.post("/v1/units/bkd/rosters", headers=week.head, json=week.span)
    assert r.status_code == 200 and r.json()["changed"] == 8 * 5, r.text
    friday = str(week.monday + timedelta(days=4))
    assert [(e["replaces"], e["revision"], e["chunk"], e["chunks"], e["start"], e["end"], len(e["assignments"]))
            for e in await policy.outbox(tenant, PUBLISHED)] == [
        ("range", 1, 0, 1, str(week.monday), friday, 40),
        ("assignments", 2, 0, 1, str(week.monday), str(week.monday), 1),
        ("range", 3, 0, 1, str(week.monday), friday, 40),
        ("range", 4, 0, 1, str(week.monday), friday, 0)]


async def test_repeating_an_override_changes_nothing(policy: PolicyService, tenant: str) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    published = len(await policy.outbox(tenant, PUBLISHED))
    assert (await override(policy, week, week.home[0], "wfo", "lagi")).status_code == 204
    audit = (await policy.client.get("/v1/units/bkd/rosters/overrides", headers=week.head, params=week.span)).json()
    assert [a["reason"] for a in audit] == ["Piket layanan"]
    assert len(await policy.outbox(tenant, PUBLISHED)) == published


async def test_an_employee_sees_an_override_and_its_reason_in_their_own_roster(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    mine = (await policy.client.get("/v1/rosters/mine", headers=policy.tokens.employee(tenant, week.home[0], "bkd"),
                                    params=week.span)).json()
    assert len(mine) == 5 and mine[0] == {"date": str(week.monday), "mode": "wfo", "unit_id": "bkd",
                                          "reason": "Piket layanan"}


async def test_regenerating_overridden_days_is_refused_unless_the_overrides_are_to_be_replaced(
    policy: PolicyService, tenant: str
) -> None:
    week = await bkd_week(policy, tenant)
    assert (await override(policy, week, week.home[0], "wfo", "Piket layanan")).status_code == 200
    r = await policy.client.post("/v1/units/bkd/rosters", headers=week.head, json=week.span)
    assert r.status_code == 409, r.text  # would undo the head's decisions
    assert week.home[0] in await monday_office(policy, week)
    r = await policy.client.post("/v1/units/bkd/rosters", headers=week.head, json={**week.span,
                                                                                    "replace_overrides": True})
    assert r.status_code == 200, r.text
    assert await monday_office(policy, week) == week.office  # the plan again


async def test_a_roster_for_days_no_letter_covers_is_refused(policy: PolicyService, tenant: str) -> None:
    admin, monday = await bkd_with_a_letter(policy, tenant)
    before_the_letter = {"start": str(monday - timedelta(days=30)), "end": str(monday)}
    r = await policy.client.post("/v1/units/bkd/rosters", headers=admin, json=before_the_letter)
    assert r.status_code == 409 and r.json()["detail"][0]["type"] == "no_letter_on_day", r.text


async def test_a_roster_for_an_unknown_unit_is_not_found(policy: PolicyService, tenant: str) -> None:
    admin, monday = await bkd_with_a_letter(policy, tenant)
    r = await policy.client.post("/v1/units/nope/rosters", headers=admin,
                                 json={"start": str(monday), "end": str(monday + timedelta(days=4))})
    assert r.status_code == 404, r.text


async def test_a_roster_that_ends_before_it_starts_is_invalid(policy: PolicyService, tenant: str) -> None:
    admin, monday = await bkd_with_a_letter(policy, tenant)
    r = await policy.client.post("/v1/units/bkd/rosters", headers=admin,
                                 json={"start": str(monday), "end": str(monday - timedelta(days=1))})
    assert r.status_code == 422, r.text
    assert "end sebelum start" in r.json()["detail"][0]["msg"]
