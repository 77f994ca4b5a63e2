"""Overdue at scale: a tenant with N expected check-ins (N = 100,000 by default) is written
straight into the reporting service's read model (tenant, units, employees and a letter
whose window closes a few seconds from now), nobody checks in, and the running reporting
service closes the window by itself. Measured: from the moment the window may close
(deadline + the settle time the suite runs with) to the last ``report.overdue`` record of
that tenant on Kafka (its CreateTime, stamped by the relay's producer), split into the
scheduler's pick-up delay, the closing transaction and the outbox relay's publishing.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.contracts import topics
from services.contracts.policy import PolicyContent, Window
from tools.bench.probes import end_offsets
from tools.zones import zone_with_room

TENANT = "bench-overdue"


def _content(start: datetime, end: datetime) -> dict[str, Any]:
    window = Window(id="apel-bench", name="Apel (bench)", start=start.time().replace(microsecond=0),
                    end=end.time().replace(microsecond=0), grace_minutes=0, kinds=["attendance"])  # type: ignore[list-item]
    return PolicyContent(windows=[window], working_days=[1, 2, 3, 4, 5, 6, 7]).model_dump(mode="json")


async def seed(dsn: str, employees: int, lead_seconds: float) -> datetime:
    """Write the tenant into the read model; return the window's deadline (UTC)."""
    now = datetime.now(UTC)
    # a zone whose local day does not end before the deadline (and its window's start)
    tz = zone_with_room(now, timedelta(seconds=lead_seconds), after_midnight=timedelta(hours=1))
    local = now.astimezone(ZoneInfo(tz))
    deadline_local = (local + timedelta(seconds=lead_seconds)).replace(microsecond=0)
    start_local = max(deadline_local.replace(hour=0, minute=0, second=0), deadline_local - timedelta(minutes=30))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("INSERT INTO tenants (id, name, timezone, kind) VALUES ($1, $2, $3, 'province') "
                               "ON CONFLICT DO NOTHING", TENANT, "Pemerintah Provinsi Uji Skala (bench)", tz)
            await conn.copy_records_to_table("units", columns=["tenant", "id", "name", "effective_sector", "sector",
                                                               "kind", "parent_id", "active"], records=[
                (TENANT, f"opd-{u:03d}", f"OPD {u}", "non_essential", None, "department", None, True)
                for u in range(100)])
            await conn.copy_records_to_table("employees", columns=["tenant", "nip", "name", "unit_id", "active",
                                                                   "is_teacher", "is_front_line", "is_unit_head"],
                                             records=[(TENANT, str(197001012000011000 + i), f"Pegawai {i}",
                                                       f"opd-{i % 100:03d}", True, False, False, False)
                                                      for i in range(employees)])
            await conn.execute(
                "INSERT INTO policy_versions (tenant, policy_id, version, number, valid_from, valid_until, "
                "effective_at, content) VALUES ($1, 'se-bench', 1, '800/100-BKD/2026', $2, NULL, $3, $4::json)",
                TENANT, local.date(), now - timedelta(minutes=1),
                json.dumps(_content(start_local, deadline_local)))
    finally:
        await conn.close()
    return deadline_local.astimezone(UTC)


async def _last_timestamps(bootstrap: str, since: dict[TopicPartition, int], ends: dict[TopicPartition, int]) -> float:
    """The newest record timestamp (ms) among each partition's last record of the range."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    newest = 0.0
    try:
        parts = [tp for tp in ends if ends[tp] > since.get(tp, 0)]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, ends[tp] - 1)
        pending = set(parts)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            batches = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    newest = max(newest, record.timestamp)
                pending.discard(tp)
    finally:
        await consumer.stop()
    return newest / 1000


async def run(reporting_dsn: str, bootstrap: str, employees: int, settle_seconds: float,
              lead_seconds: float = 8.0, timeout: float = 180.0) -> dict[str, Any]:
    before = await end_offsets(bootstrap, topics.REPORT_OVERDUE)
    seeded_at = time.time()
    deadline = await seed(reporting_dsn, employees, lead_seconds)
    seeded_in = time.time() - seeded_at
    close_at = deadline.timestamp() + settle_seconds
    wanted = sum(before.values()) + employees
    ends = before
    while sum(ends.values()) < wanted:
        if time.time() > close_at + timeout:
            break
        await asyncio.sleep(0.25)
        ends = await end_offsets(bootstrap, topics.REPORT_OVERDUE)
    published = sum(ends.values()) - sum(before.values())
    last = await _last_timestamps(bootstrap, before, ends)
    conn = await asyncpg.connect(reporting_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT closed_at, pg_xact_commit_timestamp(xmin) AS committed, expected, flagged FROM window_closures "
            "WHERE tenant = $1 AND phase = 'overdue'", TENANT)
    finally:
        await conn.close()
    result: dict[str, Any] = {"employees": employees, "published": published, "seed_seconds": round(seeded_in, 1),
                              "settle_seconds": settle_seconds, "timeout_s": timeout}
    if row is not None:
        result |= {
            "expected": row["expected"], "flagged": row["flagged"],
            "pickup_seconds": round(row["closed_at"].timestamp() - close_at, 2),
            "close_transaction_seconds": round(row["committed"].timestamp() - row["closed_at"].timestamp(), 2),
            "publish_seconds": round(last - row["committed"].timestamp(), 2) if last else None,
        }
        if result.get("publish_seconds"):
            result["publish_per_s"] = round(published / result["publish_seconds"], 1)
    result["seconds"] = round(last - close_at, 2) if last and published >= employees else None
    return result
