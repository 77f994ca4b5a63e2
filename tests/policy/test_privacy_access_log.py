"""The location access log on real PostgreSQL (and real Kafka for the reads other services report):
one row per read of coordinates, none for a refused read, queryable by the tenant admin and by the
employee about themself, append-only (the trigger), reduced only by the retention hook."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from services.contracts import topics
from services.contracts.events import LocationRead
from services.contracts.rules.retention import RetentionPeriods
from services.policy import access_log
from services.policy.store import LocationRead as Row
from services.runtime.kafka import publish_envelope
from services.runtime.outbox import envelope_for
from tests.policy.conftest import PolicyService, nip_for
from tests.policy.privacy_seed import HOME, NEW_HOME, OFFICE, PURPOSE, log_rows, seed_people
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra


async def test_each_read_of_coordinates_appends_exactly_one_row(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    get = policy.client.get
    r = await get(f"/v1/employees/{people.staff_nip}/places", headers=people.admin, params={"purpose": PURPOSE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted((p["latitude"], p["longitude"]) for p in body["places"]) == sorted([HOME, NEW_HOME, OFFICE])
    rows = await log_rows(policy, tenant)
    assert len(rows) == 1
    row = rows[0]
    assert (str(row.read_id), row.employee_id, row.purpose, row.data, row.records) == (
        body["read_id"], people.staff_nip, PURPOSE, "places", 3)
    assert (row.actor, row.actor_nip, row.actor_roles) == (f"admin@{tenant}", None, ["tenant_admin"])
    assert row.endpoint == "policy GET /v1/employees/{nip}/places"

    # The same read again is another read: another row.
    assert (await get(f"/v1/employees/{people.staff_nip}/places", headers=people.admin,
                      params={"purpose": PURPOSE})).status_code == 200
    assert len(await log_rows(policy, tenant)) == 2

    # The employee's own places: a row with the self-access purpose and their NIP as the reader.
    mine = await get("/v1/me/places", headers=people.staff)
    assert mine.status_code == 200
    assert len(mine.json()["places"]) == 3 and mine.json()["purpose"] == "akses mandiri / self access"
    rows = await log_rows(policy, tenant)
    assert len(rows) == 3
    own = next(r for r in rows if str(r.read_id) == mine.json()["read_id"])
    assert (own.actor_nip, own.employee_id, own.endpoint, own.records) == (
        people.staff_nip, people.staff_nip, "policy GET /v1/me/places", 3)


async def test_a_refused_read_shows_nothing_and_appends_nothing(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    url = f"/v1/employees/{people.staff_nip}/places"
    get = policy.client.get
    missing = await get(url, headers=people.admin)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "purpose"]
    for purpose in ("kurang", " " * 20, "cek\x01alamat rumah", "x" * 501, "  pendek   "):
        r = await get(url, headers=people.admin, params={"purpose": purpose})
        assert r.status_code == 422, (purpose, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", "purpose"]
    for who in (people.head, people.staff, people.other):
        r = await get(url, headers=who, params={"purpose": PURPOSE})
        assert r.status_code == 403 and "latitude" not in r.text
    assert (await get(f"/v1/employees/{nip_for(99)}/places", headers=people.admin,
                      params={"purpose": PURPOSE})).status_code == 404
    assert (await get("/v1/me/places", headers=people.head)).status_code == 403  # not an employee token
    stranger = policy.tokens.employee(tenant, nip_for(98), "bkd")
    assert (await get("/v1/me/places", headers=stranger)).status_code == 404
    other_tenant = policy.tokens.admin(f"{tenant}-x")
    assert (await get(url, headers=other_tenant, params={"purpose": PURPOSE})).status_code == 404
    assert await log_rows(policy, tenant) == []


async def test_the_admin_filters_and_pages_the_log_and_an_employee_sees_reads_of_their_own_data(
        policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    start = datetime.now(UTC)
    for nip in (people.staff_nip, people.other_nip, people.staff_nip, people.other_nip, people.staff_nip):
        r = await policy.client.get(f"/v1/employees/{nip}/places", headers=people.admin,
                                    params={"purpose": PURPOSE})
        assert r.status_code == 200
    assert (await policy.client.get("/v1/me/places", headers=people.other)).status_code == 200
    rows = await log_rows(policy, tenant)
    newest_first = sorted(rows, key=lambda r: (r.at, r.read_id), reverse=True)

    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await policy.client.get("/v1/privacy/access-log", headers=people.admin, params=params)).json()
        seen += [e["read_id"] for e in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == [str(r.read_id) for r in newest_first] and len(seen) == 6

    staff = (await policy.client.get("/v1/privacy/access-log", headers=people.admin,
                                     params={"employee_id": people.staff_nip})).json()["items"]
    assert len(staff) == 3 and {e["employee_id"] for e in staff} == {people.staff_nip}
    entry = staff[0]
    assert entry["at"].endswith("Z") or entry["at"].endswith("+00:00")
    assert entry["at_local"].endswith("+07:00")  # the tenant's zone, Asia/Jakarta
    assert datetime.fromisoformat(entry["at_local"]) == datetime.fromisoformat(entry["at"])
    window = {"since": newest_first[2].at.isoformat(), "until": newest_first[0].at.isoformat()}
    between = (await policy.client.get("/v1/privacy/access-log", headers=people.admin, params=window)).json()
    assert [e["read_id"] for e in between["items"]] == [str(r.read_id) for r in newest_first[1:3]]
    naive = await policy.client.get("/v1/privacy/access-log", headers=people.admin,
                                    params={"since": start.replace(tzinfo=None).isoformat()})
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"] == ["query", "since"]
    bad = await policy.client.get("/v1/privacy/access-log", headers=people.admin, params={"after": "x~y"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "after"]
    for who in (people.head, people.staff):
        assert (await policy.client.get("/v1/privacy/access-log", headers=who)).status_code == 403

    mine = (await policy.client.get("/v1/me/access-log", headers=people.other)).json()["items"]
    assert len(mine) == 3 and {e["employee_id"] for e in mine} == {people.other_nip}
    assert [e["purpose"] for e in mine] == ["akses mandiri / self access", PURPOSE, PURPOSE]
    assert (await policy.client.get("/v1/me/access-log", headers=people.head)).status_code == 403


async def test_reads_reported_by_other_services_arrive_once(policy: PolicyService, tenant: str) -> None:
    people = await seed_people(policy, tenant)
    read = LocationRead(
        read_id=uuid.uuid4(), employee_id=people.staff_nip, actor=f"admin@{tenant}", actor_roles=["tenant_admin"],
        purpose="Pemeriksaan lapor lokasi yang mencurigakan", endpoint="checkin GET /v1/checkins/{id}/location",
        data="checkin_location", records=1, at=datetime.now(UTC))
    await policy.rt.kafka_connected.wait()
    for _ in range(2):  # a redelivery (a new envelope, the same read)
        envelope = envelope_for(read, tenant=tenant, source="/hadir/checkin-test")
        await publish_envelope(policy.rt.broker, topics.LOCATION_READ, envelope, timeout=10)

    async def arrived() -> list[Row] | None:
        return await log_rows(policy, tenant) or None

    rows = await eventually(arrived, timeout=60, what="the reported read in the access log")
    later = LocationRead(**{**read.model_dump(), "read_id": uuid.uuid4(), "at": datetime.now(UTC)})
    await publish_envelope(policy.rt.broker, topics.LOCATION_READ,
                           envelope_for(later, tenant=tenant, source="/hadir/checkin-test"), timeout=10)

    async def both() -> list[Row] | None:
        found = await log_rows(policy, tenant)
        return found if len(found) >= 2 else None

    rows = await eventually(both, timeout=60, what="the second reported read")
    assert [str(r.read_id) for r in rows] == [str(read.read_id), str(later.read_id)]
    assert (rows[0].data, rows[0].endpoint, rows[0].employee_id) == (
        "checkin_location", "checkin GET /v1/checkins/{id}/location", people.staff_nip)
    mine = (await policy.client.get("/v1/me/access-log", headers=people.staff)).json()["items"]
    assert [e["read_id"] for e in mine] == [str(later.read_id), str(read.read_id)]


async def planted(policy: PolicyService, tenant: str, ages_days: list[float], now: datetime) -> list[uuid.UUID]:
    reads = [LocationRead(read_id=uuid.uuid4(), employee_id=nip_for(2), actor="admin", purpose=PURPOSE,
                          endpoint="policy GET /v1/employees/{nip}/places", data="places", records=1,
                          at=now - timedelta(days=age)) for age in ages_days]
    async with policy.rt.sessions() as session, session.begin():
        assert await access_log.record_many(session, [(tenant, r) for r in reads]) == len(reads)
        assert await access_log.record_many(session, [(tenant, reads[0])]) == 0  # already there
    return [r.read_id for r in reads]


async def test_the_log_refuses_update_and_delete_except_the_retention_hook(policy: PolicyService,
                                                                          tenant: str) -> None:
    now = datetime.now(UTC)
    ids = await planted(policy, tenant, [1], now)
    for statement in ("UPDATE location_reads SET purpose = 'diubah' WHERE read_id = :id",
                      "DELETE FROM location_reads WHERE read_id = :id"):
        async with policy.rt.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                async with session.begin():
                    await session.execute(text(statement), {"id": ids[0]})
    async with policy.rt.sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin():
                await session.execute(text("SET LOCAL hadir.retention = 'on'"))
                await session.execute(text("UPDATE location_reads SET purpose = 'diubah' WHERE read_id = :id"),
                                      {"id": ids[0]})
    assert [(r.read_id, r.purpose) for r in await log_rows(policy, tenant)] == [(ids[0], PURPOSE)]

    # The setting is the transaction's own: with it, a DELETE goes through; the next transaction has it not.
    async with policy.rt.sessions() as session, session.begin():
        await session.execute(text("SET LOCAL hadir.retention = 'on'"))
        await session.execute(text("DELETE FROM location_reads WHERE read_id = :id"), {"id": ids[0]})
    assert await log_rows(policy, tenant) == []
    more = await planted(policy, tenant, [1], now)
    async with policy.rt.sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin():
                await session.execute(text("DELETE FROM location_reads WHERE read_id = :id"), {"id": more[0]})


async def test_retention_deletes_exactly_the_rows_past_the_period(policy: PolicyService, tenant: str) -> None:
    now = datetime.now(UTC)
    periods = RetentionPeriods(access_log_days=365)
    ages = [400, 366, 365.01, 364.99, 200, 1]
    ids = await planted(policy, tenant, ages, now)
    neighbour = f"{tenant}-n"
    kept_elsewhere = await planted(policy, neighbour, [500], now)

    async with policy.rt.sessions() as session, session.begin():
        first = await access_log.reduce_expired(session, tenant, periods, now, date.today(), limit=2)
        # The hook turned the trigger's permission off again: nothing else in its transaction may delete.
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text("DELETE FROM location_reads WHERE tenant = :t"), {"t": tenant})
    assert first == 2
    assert {r.read_id for r in await log_rows(policy, tenant)} == set(ids[2:])  # the oldest went first
    async with policy.rt.sessions() as session, session.begin():
        second = await access_log.reduce_expired(session, tenant, periods, now, date.today(), limit=100)
        third = await access_log.reduce_expired(session, tenant, periods, now, date.today(), limit=100)
    assert (second, third) == (1, 0)
    assert {r.read_id for r in await log_rows(policy, tenant)} == set(ids[3:])
    assert [r.read_id for r in await log_rows(policy, neighbour)] == kept_elsewhere
    async with policy.rt.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(Row).where(Row.tenant == tenant))
    assert total == 3


async def test_two_replicas_reducing_at_once_neither_wait_for_nor_repeat_each_other(
        policy: PolicyService, tenant: str) -> None:
    now = datetime.now(UTC)
    periods = RetentionPeriods(access_log_days=365)
    ids = await planted(policy, tenant, [500, 499, 498, 497, 496, 10], now)
    async with policy.rt.sessions() as first, first.begin():
        assert await access_log.reduce_expired(first, tenant, periods, now, date.today(), limit=2) == 2
        # While the first holds its two rows (uncommitted), the second takes the rest without waiting.
        async with policy.rt.sessions() as second, second.begin():
            await second.execute(text("SET LOCAL lock_timeout = '10s'"))  # waiting would fail, not hang
            assert await access_log.reduce_expired(second, tenant, periods, now, date.today(), limit=100) == 3
    assert [r.read_id for r in await log_rows(policy, tenant)] == ids[5:]
