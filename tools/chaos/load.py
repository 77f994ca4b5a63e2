"""The load a scenario puts on the services while its fault strikes: every streaming
employee shares their location once in each window, as a phone app does.

Guarantee: each planned check-in is sent at its time with its own Idempotency-Key and
retried with the same key and body on connection errors, 5xx and 429 until the API
answers (or :data:`ACCEPT_DEADLINE` passes); a plan records the id it was given, and two
different ids for one key are recorded as a clash.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tools.chaos.environment import Environment
from tools.chaos.parameters import ACCEPT_DEADLINE, BATCH_EVERY, DOUBLE_TAP, WINDOWS
from tools.chaos.tenant import Person, Tenant


@dataclass
class CheckinPlan:
    person: Person
    window: int
    key: str
    body: dict[str, Any]
    send_at: datetime
    checkin_id: str | None = None
    error: str | None = None
    attempts: int = 0


def plan_stream(tenant: Tenant) -> list[CheckinPlan]:
    plans = []
    for p in tenant.people:
        if not p.streams:
            continue
        for k in range(WINDOWS):
            captured = tenant.window_start(k) + timedelta(seconds=0.3 + 0.02 * (p.index % 10))
            body = {"kind": "location", "captured_at": captured.isoformat(), "device_id": f"hp-{p.nip}",
                    "location": {"latitude": p.home[0], "longitude": p.home[1], "accuracy_m": 12}}
            plans.append(CheckinPlan(p, k, f"{tenant.id}-{p.nip}-{k}-{uuid.uuid4().hex[:8]}", body, captured))
    return plans


async def _post_until_answered(http: httpx.AsyncClient, url: str, headers: dict[str, str], body: Any,
                               plans: list[CheckinPlan], failures: Counter[str]) -> httpx.Response | None:
    """Retry (same body, same keys) through crashes and outages, as a phone app would."""
    deadline = time.monotonic() + ACCEPT_DEADLINE
    delay = 0.2
    while True:
        for plan in plans:
            plan.attempts += 1
        try:
            r = await http.post(url, headers=headers, json=body)
            if r.status_code < 500 and r.status_code != 429:
                return r
            failures[str(r.status_code)] += 1
        except httpx.TransportError as exc:
            failures[type(exc).__name__] += 1
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _accept(plan: CheckinPlan, checkin_id: str, clashes: list[str]) -> None:
    if plan.checkin_id is not None and plan.checkin_id != checkin_id:
        clashes.append(plan.key)
    plan.checkin_id = checkin_id


async def sleep_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


async def stream(env: Environment, http: httpx.AsyncClient, tenant: Tenant, plans: list[CheckinPlan],
                 clashes: list[str], failures: Counter[str]) -> None:
    checkin = env.url("checkin")

    async def single(plan: CheckinPlan) -> None:
        await sleep_until(plan.send_at)
        headers = {**tenant.tokens[plan.person.nip], "Idempotency-Key": plan.key}
        r = await _post_until_answered(http, f"{checkin}/v1/checkins", headers, plan.body, [plan], failures)
        if r is not None and r.status_code == 201:
            _accept(plan, r.json()["id"], clashes)
        else:
            plan.error = f"HTTP {r.status_code}: {r.text[:200]}" if r is not None else "gave up retrying"

    async def impatient(plan: CheckinPlan) -> None:
        """A second tap while the first request is still on its way: both must get the same id."""
        await asyncio.gather(single(plan), single(plan))

    async def batch(group: list[CheckinPlan]) -> None:
        await sleep_until(max(p.send_at for p in group))
        items = [{**p.body, "idempotency_key": p.key} for p in group]
        r = await _post_until_answered(http, f"{checkin}/v1/checkins/batch", tenant.tokens[group[0].person.nip],
                                       {"items": items}, group, failures)
        if r is None or r.status_code != 200:
            for p in group:
                p.error = f"HTTP {r.status_code}: {r.text[:200]}" if r is not None else "gave up retrying"
            return
        for result in r.json()["results"]:
            plan = group[result["index"]]
            if result["status"] == 201:
                _accept(plan, result["checkin"]["id"], clashes)
            else:
                plan.error = f"item {result['status']}: {result.get('errors')}"

    jobs: list[Awaitable[None]] = []
    batches: dict[tuple[str, int], list[CheckinPlan]] = {}
    for plan in plans:
        if plan.person.batches:
            batches.setdefault((plan.person.nip, plan.window // BATCH_EVERY), []).append(plan)
        else:
            jobs.append(impatient(plan) if (plan.person.index + plan.window) % DOUBLE_TAP == 0 else single(plan))
    jobs += [batch(group) for group in batches.values()]
    await asyncio.gather(*jobs)
