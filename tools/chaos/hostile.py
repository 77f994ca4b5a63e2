"""The hostile fault: what an attacker or a careless integrator puts into the pipeline, in the
middle of a scenario's stream. The scenario's own tenant must come through whole.

- **An oversized outbox row** in policy's outbox (an event Kafka will never take, as a letter
  with 90,000 holidays was before the API bounded letters): policy's relay must park it and go
  on publishing the scenario's verdicts behind it.
- **A roster override** in a tenant of its own: a unit's generated roster, then one employee
  sent to the office for the day by an override; reporting must count the whole unit
  (before roster events said what they replace, the override erased the rest of the day).
- **Wedging records** on every partition of ``checkin.received`` and ``checkin.evaluated``: a copy
  of a real event whose ``ce_time`` lies in the year 10000 in UTC, and a record just under Kafka's
  1 MiB limit (its dead letter does not fit whole). Every consumer group must dead-letter them
  and keep its partitions flowing.

The fault checks its own effect (the row parked, the records dead-lettered) and raises if it
does not show within a minute; the accounting then checks that nothing was lost or duplicated.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from services.contracts import topics
from services.contracts.marks import MARK_TENANT
from services.runtime import devkeys
from services.runtime.kafka import MAX_REQUEST_BYTES
from tools import seed
from tools.chaos.environment import Environment
from tools.chaos.parameters import say
from tools.zones import now_with_room

FAR_FUTURE = b"9999-12-31T23:59:59-01:00"
HOSTILE_TENANT = "chaos-hostile"
ROSTER_TENANT = "chaos-roster"
WEDGED_TOPICS = (topics.CHECKIN_RECEIVED, topics.CHECKIN_EVALUATED)


async def strike(env: Environment) -> None:
    parked = await _oversized_outbox_row(env)
    wedges = {topic: await _wedging_records(env, topic) for topic in WEDGED_TOPICS}
    say(f"hostile: an oversized row in policy's outbox, {sum(len(w) for w in wedges.values())} wedging records "
        f"on {', '.join(WEDGED_TOPICS)}; a roster override in tenant {ROSTER_TENANT}")
    async with httpx.AsyncClient(timeout=10) as http:
        await _roster_override(env, http)
    deadline = time.monotonic() + 60
    while True:
        reason = await _park_reason(env, parked)
        dead = await _dead_lettered(env, {i for ids in wedges.values() for i in ids})
        if reason and dead == sum(len(w) for w in wedges.values()):
            say(f"hostile: the row was parked ({reason[:60]}…); every wedging record was dead-lettered")
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"hostile: after 60 s parked={bool(reason)}, dead-lettered records {dead}")
        await asyncio.sleep(1)


async def _roster_override(env: Environment, http: httpx.AsyncClient) -> None:
    """8 employees, a roster (2 in the office at the 25 % quota), then one more by override:
    reporting must show 3 in the office, 5 at home, none unknown."""
    tenant = f"{ROSTER_TENANT}-{uuid.uuid4().hex[:6]}"
    admin = {"Authorization": "Bearer " + devkeys.issue_token(env.private_key, subject=f"admin@{tenant}",
                                                               roles=["tenant_admin"], tenant=tenant)}
    staff = [f"199001012015011{i:03d}" for i in range(1, 9)]
    zone, now = now_with_room(timedelta(minutes=10))
    today = now.date()
    seeder = seed.Seeder(http, env.url("policy"), admin)
    await seeder.directory(name="Pemerintah Uji Roster", timezone=zone, units={"bkd": seed.unit("BKD")},
                           employees={n: {"name": f"Pegawai R{n[-2:]}", "unit_id": "bkd"} for n in staff})
    await seeder.letter(seed.letter("800/ROSTER/CHAOS", "Uji roster", today - timedelta(days=1), []))
    r = await seeder.call("POST", "/v1/units/bkd/rosters", json={"start": str(today), "end": str(today)})
    home = sorted(a["employee_id"] for a in r.json()["assignments"] if a["mode"] == "wfh")[0]
    await seeder.call("PUT", f"/v1/units/bkd/rosters/{today}/{home}", json={"mode": "wfo", "reason": "Piket"})
    deadline, got = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        report = (await http.get(f"{env.url('reporting')}/v1/reports/daily", headers=admin,
                                 params={"date": str(today)})).json()
        office = {u["unit_id"]: u["in_office"] for u in report.get("units", [])}.get("bkd", {})
        got = tuple(office.get(k) for k in ("wfo", "wfh", "unknown"))
        if got == (3, 5, 0):
            say("hostile: after the override reporting counts the whole unit (3 in the office, 5 at home)")
            return
        await asyncio.sleep(1)
    raise RuntimeError(f"hostile: after the roster override reporting shows (wfo, wfh, unknown) = {got}, "
                       "expected (3, 5, 0)")


def _dsn(env: Environment, service: str) -> str:
    return env.pg.url(f"hadir_{service}", driver="postgresql")


async def _oversized_outbox_row(env: Environment) -> str:
    event_id = str(uuid.uuid4())
    payload = json.dumps({"policy_id": "hostile", "holidays": ["2026-01-01"] * 90_000}).encode()
    conn = await asyncpg.connect(_dsn(env, "policy"))
    try:
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, ce_type, ce_source, tenant, subject, ce_time, payload, created_at) "
            "VALUES ($1, $2, 'hadir.policy.updated.v1', '/hadir/policy', $3, 'policy:hostile', $4, $5, $4)",
            event_id, topics.POLICY_UPDATED, HOSTILE_TENANT, datetime.now(UTC), payload)
    finally:
        await conn.close()
    return event_id


async def _park_reason(env: Environment, event_id: str) -> str | None:
    conn = await asyncpg.connect(_dsn(env, "policy"))
    try:
        reason: str | None = await conn.fetchval("SELECT park_reason FROM outbox WHERE event_id = $1", event_id)
        return reason
    finally:
        await conn.close()


async def _wedging_records(env: Environment, topic: str) -> list[str]:
    """Two records per partition of ``topic``; returns their ``ce_id``s."""
    value, headers = await _a_real_record(env, topic)
    producer = AIOKafkaProducer(bootstrap_servers=env.kafka.bootstrap, enable_idempotence=True)
    await producer.start()
    ids: list[str] = []
    try:
        for partition in sorted(await producer.partitions_for(topic)):
            far_id, big_id = f"hostile-{uuid.uuid4()}", f"hostile-{uuid.uuid4()}"
            far = [(k, far_id.encode() if k == "ce_id" else FAR_FUTURE if k == "ce_time" else v) for k, v in headers]
            big = [(k, big_id.encode() if k == "ce_id" else v) for k, v in headers]
            key = f"{HOSTILE_TENANT}/{partition}".encode()
            await producer.send_and_wait(topic, value, key=key, headers=far, partition=partition)
            await producer.send_and_wait(topic, _just_under_the_limit(key, big), key=key, headers=big,
                                         partition=partition)
            ids += [far_id, big_id]
    finally:
        await producer.stop()
    return ids


def _just_under_the_limit(key: bytes, headers: list[tuple[str, bytes]]) -> bytes:
    base = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"", headers)
    return b"{" + b"z" * (MAX_REQUEST_BYTES - 100 - base - 9)


async def _a_real_record(env: Environment, topic: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=env.kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = await _partitions(env, [topic])
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    headers = [(k, v) for k, v in record.headers or () if v is not None]
                    if record.value and dict(headers).get("ce_tenant", b"") != MARK_TENANT.encode():
                        return record.value, [(k, HOSTILE_TENANT.encode() if k == "ce_tenant" else v)
                                              for k, v in headers]
        raise RuntimeError(f"hostile: no event on {topic} to copy")
    finally:
        await consumer.stop()


async def _partitions(env: Environment, names: list[str]) -> list[TopicPartition]:
    """Every partition of ``names`` (a consumer knows only the partitions of topics it subscribed to)."""
    producer = AIOKafkaProducer(bootstrap_servers=env.kafka.bootstrap)
    await producer.start()
    try:
        return [TopicPartition(t, p) for t in names for p in sorted(await producer.partitions_for(t))]
    finally:
        await producer.stop()


async def _dead_lettered(env: Environment, ids: set[str]) -> int:
    """How many of ``ids`` some dead-letter topic holds (parts of one record count once)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=env.kafka.bootstrap, enable_auto_commit=False,
                                fetch_max_bytes=8 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        parts = await _partitions(env, [t for t in await consumer.topics() if t.startswith("deadletter.")])
        if not parts:
            return 0
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        found: set[str] = set()

        async def behind() -> bool:
            for tp, end in ends.items():
                if await consumer.position(tp) < end:
                    return True
            return False

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    ce_id = dict(record.headers or ()).get("ce_id", b"").decode(errors="replace")
                    if ce_id in ids:
                        found.add(ce_id)
        return len(found)
    finally:
        await consumer.stop()
