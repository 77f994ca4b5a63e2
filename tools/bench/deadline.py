"""Load across a window's deadline: no overdue notice for a check-in accepted before it.

Each benchmark government's letter is amended so that its only window (``tenggat``, location
check-ins) opens now and closes ``lead`` seconds from now. Nine in ten employees then send
check-ins at twice the suite's sustained ceiling until the deadline, so the pipeline is still
busy with check-ins accepted before the deadline when it passes; the tenth never sends. Once
reporting has closed the four windows (it waits for the pipeline's watermark), the figures
compare its decisions with the ground truth:

- ``false_overdue``: expected employees with a check-in accepted (``received_at``) at or
  before the deadline, captured within the window, who were declared overdue (must be 0);
- ``missing_overdue``: expected employees who sent nothing — no check-in captured since the
  window opened was stored at all — who did not get exactly one ``report.overdue`` on Kafka (must
  be 0; notices counted once per event id). A check-in accepted after the deadline (captured
  before it, or after it and judged late) may count or not, depending on whether its verdict
  arrived before the closure: such employees are in neither figure (``accepted_after_deadline_only``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.contracts import topics
from tools.bench.population import TENANTS, TokenMint
from tools.seed import Seeder

WINDOW_ID = "tenggat"


async def open_deadline_window(policy_url: str, mint: TokenMint, lead: timedelta) -> tuple[datetime, datetime]:
    """Amend every benchmark letter: one location window from now until now + ``lead``.
    Returns (window start, deadline), UTC, whole seconds."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, deadline = now, now + lead
    async with httpx.AsyncClient(timeout=60) as http:
        for tenant, *_ in TENANTS:
            token = mint.issue(subject=f"bkd@{tenant}", roles=["tenant_admin"], tenant=tenant)
            admin = Seeder(http, policy_url, {"Authorization": f"Bearer {token}"})
            [latest] = (await admin.call("GET", "/v1/policies", expect=(200,))).json()
            zone = ZoneInfo((await admin.call("GET", "/v1/tenant", expect=(200,))).json()["timezone"])
            window = {"id": WINDOW_ID, "name": "Tenggat (bench)", "grace_minutes": 0, "kinds": ["location"],
                      "start": start.astimezone(zone).time().isoformat(),
                      "end": deadline.astimezone(zone).time().isoformat()}
            body = {k: latest[k] for k in ("number", "title", "signatory", "legal_basis")}
            body.update(valid_from=now.astimezone(zone).date().isoformat(), valid_until=None,
                        content={**latest["content"], "windows": [window], "working_days": [1, 2, 3, 4, 5, 6, 7]})
            await admin.call("POST", f"/v1/policies/{latest['policy_id']}/versions", expect=(201,), json=body)
    return start, deadline


async def wait_closed(reporting_dsn: str, timeout: float) -> float | None:
    """Seconds until reporting closed the window of every benchmark government; None if not in time."""
    started = time.monotonic()
    tenants = [t for t, *_ in TENANTS]
    while time.monotonic() - started < timeout:
        conn = await asyncpg.connect(reporting_dsn)
        try:
            closed = await conn.fetchval(
                "SELECT count(*) FROM window_closures WHERE window_id = $1 AND phase = 'overdue' "
                "AND tenant = ANY($2::text[])", WINDOW_ID, tenants)
        finally:
            await conn.close()
        if closed >= len(tenants):
            return time.monotonic() - started
        await asyncio.sleep(1)
    return None


async def outbox_drained(dsn: str, timeout: float = 120) -> bool:
    """Wait until the service's outbox has published every row (the closure's notices are on Kafka)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        conn = await asyncpg.connect(dsn)
        try:
            pending = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL")
        finally:
            await conn.close()
        if pending == 0:
            return True
        await asyncio.sleep(0.5)
    return False


async def judge(checkin_dsn: str, reporting_dsn: str, bootstrap: str, start: datetime,
                deadline: datetime) -> dict[str, Any]:
    """``false_overdue`` and ``missing_overdue`` against the ground truth (module docstring), once
    reporting's outbox has published the closure's notices."""
    tenants = [t for t, *_ in TENANTS]
    drained = await outbox_drained(reporting_dsn)
    conn = await asyncpg.connect(checkin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT tenant, employee_id, min(received_at) FILTER (WHERE captured_at <= $3) AS first FROM checkins "
            "WHERE tenant = ANY($1::text[]) AND captured_at >= $2 GROUP BY tenant, employee_id",
            tenants, start, deadline)
    finally:
        await conn.close()
    conn = await asyncpg.connect(reporting_dsn)
    try:
        ledger = await conn.fetch("SELECT tenant, nip, overdue, status FROM expectations WHERE window_id = $1 "
                                  "AND tenant = ANY($2::text[])", WINDOW_ID, tenants)
        forced = await conn.fetchval("SELECT count(*) FROM window_closures WHERE window_id = $1 AND forced "
                                     "AND tenant = ANY($2::text[])", WINDOW_ID, tenants)
    finally:
        await conn.close()
    sent = {(r["tenant"], r["employee_id"]) for r in rows}
    accepted = {(r["tenant"], r["employee_id"]) for r in rows if r["first"] is not None and r["first"] <= deadline}
    expected = {(r["tenant"], r["nip"]) for r in ledger}
    declared = {(r["tenant"], r["nip"]) for r in ledger if r["overdue"]}
    notices = await overdue_notices(bootstrap, set(tenants))
    silent = expected - sent
    unnotified = [(r["tenant"], r["nip"], r["status"], r["overdue"]) for r in ledger
                  if (r["tenant"], r["nip"]) in silent and notices.get((r["tenant"], r["nip"]), 0) != 1]
    return {
        "expected": len(expected), "accepted_before_deadline": len(expected & accepted),
        "accepted_after_deadline_only": len(expected & (sent - accepted)), "silent": len(silent),
        "notices": sum(notices.values()), "outbox_drained": drained,
        "declared_overdue": len(declared), "ledger_statuses": dict(Counter(r["status"] for r in ledger)),
        "silent_unnotified_statuses": dict(Counter(f"{s}/{o}" for _, _, s, o in unnotified)),
        "silent_unnotified_sample": [list(u) for u in unnotified[:5]],
        "forced_closures": forced,
        "false_overdue": sum(1 for key in expected & accepted if key in notices or key in declared),
        "missing_overdue": sum(1 for key in silent if notices.get(key, 0) != 1),
    }


async def overdue_notices(bootstrap: str, tenants: set[str]) -> Counter[tuple[str, str]]:
    """``report.overdue`` of the deadline window per (tenant, employee), each event id once."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    seen: dict[str, tuple[str, str]] = {}
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topics.REPORT_OVERDUE, p)
                 for p in sorted(consumer.partitions_for_topic(topics.REPORT_OVERDUE) or ())]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        remaining = {tp for tp in parts if ends[tp] > 0}
        while remaining:
            for records in (await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)).values():
                for r in records:
                    headers = {k: (v or b"").decode() for k, v in r.headers or ()}
                    payload = json.loads(r.value or b"{}")
                    if headers.get("ce_tenant") in tenants and payload.get("window_id") == WINDOW_ID:
                        seen[headers["ce_id"]] = (headers["ce_tenant"], payload["employee_id"])
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return Counter(seen.values())
