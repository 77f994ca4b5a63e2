"""The tenant calendar over HTTP on real PostgreSQL (GET/PUT /v1/tenant/calendar, GET /v1/calendar) and
policy applying it: only the tenant admin reads and sets the calendar, a bad one is refused with the day
named in both languages, a change is published with the tenant record, another tenant never sees it;
the year's holidays name their source (the letter's only where its version applies); a check-in on a
national day is not required unless the tenant removed that day; a roster leaves national days out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.contracts.events import CheckinReceived, DirectoryUpdatedV2, Location
from services.contracts.rules.calendar import DEFAULT_CALENDAR
from services.policy.evaluator import judge_all
from tests.policy.conftest import PolicyService, nip_for, setup_tenant
from tools import seed

pytestmark = pytest.mark.infra

PATH, YEAR = "/v1/tenant/calendar", "/v1/calendar"
INDEPENDENCE = date(2026, 8, 17)  # Monday, national
ANNIVERSARY = {"date": "2026-10-22", "name": "Hari Jadi Kabupaten Uji"}
HOME = (-6.1202, 106.1503)
EVERY_HOUR = seed.window("lokasi", "Lokasi", "00:00", "23:59:59", ["location"])
WORKING_WEEK = [1, 2, 3, 4, 5]


def tenant_records(payloads: list[dict]) -> list[dict]:
    return [p["tenant"] for p in payloads if p.get("entity") == "tenant"]


def calendar(**fields: object) -> dict[str, object]:
    return {"national": True, "cuti_bersama": True, "added": [], "removed": [], **fields}


async def test_before_the_tenant_exists_every_route_answers_404(policy: PolicyService, tenant: str) -> None:
    admin = policy.tokens.admin(tenant)
    assert (await policy.client.get(PATH, headers=admin)).status_code == 404
    assert (await policy.client.put(PATH, headers=admin, json=calendar())).status_code == 404
    assert (await policy.client.get(YEAR, headers=admin)).status_code == 404
    assert await policy.outbox_count(tenant) == 0


async def test_a_change_is_stored_published_with_the_tenant_record_and_read_back(policy: PolicyService,
                                                                                 tenant: str) -> None:
    admin = await setup_tenant(policy, tenant, tz="Asia/Makassar")
    assert (await policy.client.get(PATH, headers=admin)).json() == DEFAULT_CALENDAR.model_dump(mode="json")
    before = len(tenant_records(await policy.outbox(tenant, DirectoryUpdatedV2.TYPE)))
    wanted = calendar(cuti_bersama=False, added=[ANNIVERSARY], removed=[str(INDEPENDENCE)])
    r = await policy.client.put(PATH, headers=admin, json=wanted)
    assert r.status_code == 200, r.text
    assert r.json() == wanted
    assert (await policy.client.get(PATH, headers=admin)).json() == wanted
    records = tenant_records(await policy.outbox(tenant, DirectoryUpdatedV2.TYPE))
    assert len(records) == before + 1
    assert records[-1]["calendar"] == wanted and records[-1]["timezone"] == "Asia/Makassar"

    count = await policy.outbox_count(tenant)
    assert (await policy.client.put(PATH, headers=admin, json=wanted)).status_code == 200
    assert await policy.outbox_count(tenant) == count, "the calendar in force again: nothing published"
    renamed = await policy.client.put("/v1/tenant", headers=admin, json={
        "name": "Pemerintah Kabupaten Uji", "kind": "regency", "timezone": "Asia/Makassar"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["calendar"] == wanted, "changing the tenant keeps its calendar"


async def test_another_tenant_neither_sees_nor_changes_it(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    other = f"t-{uuid.uuid4().hex[:10]}"
    other_admin = await setup_tenant(policy, other)
    assert (await policy.client.put(PATH, headers=admin, json=calendar(national=False))).status_code == 200
    assert (await policy.client.get(PATH, headers=other_admin)).json()["national"] is True
    assert (await policy.client.put(PATH, headers=other_admin, json=calendar(added=[ANNIVERSARY]))).status_code == 200
    assert (await policy.client.get(PATH, headers=admin)).json() == calendar(national=False)
    days = (await policy.client.get(YEAR, headers=admin, params={"year": 2026})).json()["holidays"]
    assert ANNIVERSARY["date"] not in [d["date"] for d in days]


@pytest.mark.parametrize(("body", "loc", "needle_id", "needle_en"), [
    (calendar(added=[ANNIVERSARY, ANNIVERSARY]), ["body"], "tercantum dua kali", "2026-10-22 is listed twice"),
    (calendar(added=[ANNIVERSARY], removed=["2026-10-22"]), ["body"], "ditambah sekaligus dihapus",
     "cannot be both added and removed"),
    (calendar(removed=[str(date(2026, 1, 1) + timedelta(days=i)) for i in range(401)]), ["body", "removed"],
     "maksimal 400", "at most 400"),
    (calendar(removed=["1999-12-31"]), ["body", "removed", 0], "paling", "at"),
    ({**calendar(), "tenant": "t-other"}, ["body", "tenant"], "tidak dikenal", "unknown field"),
])
async def test_a_bad_calendar_is_refused_in_both_languages_and_nothing_changes(
        policy: PolicyService, tenant: str, body: dict, loc: list, needle_id: str, needle_en: str) -> None:
    admin = await setup_tenant(policy, tenant)
    count = await policy.outbox_count(tenant)
    r = await policy.client.put(PATH, headers=admin, json=body)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == loc and needle_id in error["msg"], error
    english = await policy.client.put(PATH, headers={**admin, "Accept-Language": "en"}, json=body)
    assert needle_en in english.json()["detail"][0]["msg"]
    assert (await policy.client.get(PATH, headers=admin)).json() == DEFAULT_CALENDAR.model_dump(mode="json")
    assert await policy.outbox_count(tenant) == count


async def test_only_the_tenant_admin_sets_it_and_every_member_reads_the_year(policy: PolicyService,
                                                                              tenant: str) -> None:
    await setup_tenant(policy, tenant)
    for roles in (["unit_head"], ["employee"], ["integrator"]):
        headers = policy.tokens.headers(tenant=tenant, roles=roles, nip="197501012000011001", unit="bkd")
        assert (await policy.client.get(PATH, headers=headers)).status_code == 403
        assert (await policy.client.put(PATH, headers=headers, json=calendar())).status_code == 403
        assert (await policy.client.get(YEAR, headers=headers, params={"year": 2026})).status_code == 200


async def test_the_year_names_each_holidays_source_and_a_letters_days_where_its_version_applies(
        policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.calendar(added=[ANNIVERSARY], removed=["2026-12-25"])
    first = seed.letter("800/1-BKD/2026", "Uji", "2026-01-01", [EVERY_HOUR],
                        holidays=["2026-02-02", "2026-09-07"])
    v1 = await seeder.letter(first)
    amended = {**seed.letter("800/2-BKD/2026", "Uji", "2026-09-01", [EVERY_HOUR], holidays=["2026-09-08"])}
    r = await policy.client.post(f"/v1/policies/{v1['policy_id']}/versions", headers=admin, json=amended)
    assert r.status_code == 201, r.text

    r = await policy.client.get(YEAR, headers=admin, params={"year": 2026})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["year"], out["national"], out["cuti_bersama"]) == (2026, True, True)
    days = {d["date"]: d for d in out["holidays"]}
    assert [d["date"] for d in out["holidays"]] == sorted(days)
    assert days["2026-08-17"]["source"] == "national" and "Kemerdekaan" in days["2026-08-17"]["name"]
    assert days["2026-03-20"]["source"] == "cuti_bersama"
    assert days["2026-10-22"] == {**ANNIVERSARY, "source": "regional"}
    assert "2026-12-25" not in days, "removed by the tenant"
    assert days["2026-02-02"]["source"] == "letter", "version 1 applies on 2 February"
    assert "2026-09-07" not in days, "version 1 listed it, but version 2 applies from 1 September"
    assert days["2026-09-08"]["source"] == "letter"
    assert not [d for d in out["holidays"] if not d["date"].startswith("2026-")]


async def test_the_year_defaults_to_the_tenants_current_year_and_is_bounded(policy: PolicyService,
                                                                             tenant: str) -> None:
    admin = await setup_tenant(policy, tenant, tz="Asia/Jayapura")
    r = await policy.client.get(YEAR, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["year"] == datetime.now(UTC).astimezone(ZoneInfo("Asia/Jayapura")).year
    for year in ("1999", "2101", "dua ribu"):
        bad = await policy.client.get(YEAR, headers=admin, params={"year": year})
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"] == ["query", "year"]


async def test_a_checkin_on_a_national_day_is_not_required_unless_the_tenant_works_that_day(
        policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({"dinas": seed.unit("Dinas")})
    nip = nip_for(1)
    await seeder.employees({nip: {"name": "Pegawai", "unit_id": "dinas", "places": [seed.home(HOME)]}})
    await seeder.letter(seed.letter("800/9-BKD/2026", "Uji", "2026-08-01", [EVERY_HOUR], working_days=WORKING_WEEK))
    at = datetime(2026, 8, 17, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
    event = CheckinReceived(checkin_id=uuid.uuid4(), employee_id=nip, kind="location",  # type: ignore[arg-type]
                            captured_at=at, received_at=at,
                            location=Location(latitude=HOME[0], longitude=HOME[1], accuracy_m=10))

    async def status() -> str:
        async with policy.rt.sessions() as session, session.begin():
            [verdict] = await judge_all(session, [(tenant, event)])
            await session.rollback()
        return verdict.status

    assert await status() == "not_required", "Hari Kemerdekaan under the national calendar"
    await seeder.calendar(removed=[str(INDEPENDENCE)])
    assert await status() == "on_time"
    await seeder.calendar(national=False, added=[{"date": str(INDEPENDENCE), "name": "Libur daerah"}])
    assert await status() == "not_required", "a regional day"


async def test_a_roster_leaves_out_national_days_unless_the_tenant_removed_them(policy: PolicyService,
                                                                                tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({"dinas": seed.unit("Dinas")})
    await seeder.employees({nip_for(i): {"name": f"P{i}", "unit_id": "dinas"} for i in range(4)})
    await seeder.letter(seed.letter("800/9-BKD/2026", "Uji", "2026-08-01", [EVERY_HOUR], working_days=WORKING_WEEK))
    span = {"start": "2026-08-10", "end": "2026-08-21"}

    async def days() -> list[str]:
        r = await policy.client.post("/v1/units/dinas/rosters", headers=admin, json=span)
        assert r.status_code == 200, r.text
        return [d["date"] for d in r.json()["days"]]

    weekdays = [str(date(2026, 8, 10) + timedelta(days=i)) for i in range(12)
                if (date(2026, 8, 10) + timedelta(days=i)).weekday() < 5]
    assert await days() == [d for d in weekdays if d != "2026-08-17"]
    await seeder.calendar(removed=[str(INDEPENDENCE)])
    assert await days() == weekdays
