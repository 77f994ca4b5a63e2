"""The simulator: plays a planned day (:mod:`tools.simulate.day`) against running services over
their HTTP APIs and Kafka, then reads back what reporting and the overdue topic say.

Guarantee: every planned check-in is sent at its capture time with its employee's token (retried
while the check-in service does not know the employee yet); the result holds the ground truth
beside the report, so a difference is never hidden.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from services.contracts import topics
from services.contracts.policy import zone_abbreviation
from services.runtime.devkeys import ensure_dev_keys, issue_token
from services.runtime.settings import REPO_ROOT
from tools import seed
from tools.seed import Seeder
from tools.simulate.day import (
    METRICS,
    WINDOWS,
    Config,
    Person,
    Planned,
    Result,
    arrivals_after_close,
    checkin_body,
    employees_csv,
    ground_truth,
    people,
    plan,
    render,
    units_of,
)
from tools.zones import zone_with_room


class Simulator:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.out = cfg.out or (lambda s: print(s, flush=True))
        key = cfg.private_key or ensure_dev_keys(Path(os.environ.get("HADIR_VAR_DIR", REPO_ROOT / "var"))
                                                 / "dev-keys")[0]
        self.key = key
        self.tenant = cfg.tenant or f"sim-{uuid.uuid4().hex[:8]}"
        self.sent = 0
        self.failed = 0
        self.max_lag = 0.0
        self.timings: dict[str, float] = {}
        self._tokens: dict[str, str] = {}
        self.last_error = ""

    # --- HTTP helpers -----------------------------------------------------------

    def admin(self) -> dict[str, str]:
        token = issue_token(self.key, subject=f"simulator@{self.tenant}", roles=["tenant_admin"], tenant=self.tenant)
        return {"Authorization": f"Bearer {token}"}

    def employee(self, person: Person) -> dict[str, str]:
        token = self._tokens.get(person.nip)
        if token is None:
            token = self._tokens[person.nip] = issue_token(self.key, subject=person.nip, roles=["employee"],
                                                           tenant=self.tenant, nip=person.nip, unit=person.unit)
        return {"Authorization": f"Bearer {token}"}

    def seeder(self, client: httpx.AsyncClient) -> Seeder:
        """The administrator's client of the policy service, retrying through restarts."""
        return Seeder(client, self.cfg.policy_url, self.admin(), retries=7)

    # --- the day ------------------------------------------------------------------

    async def run(self) -> Result:
        cfg = self.cfg
        started = time.monotonic()
        staff = people(cfg, self.rng)
        planned = plan(cfg, staff, self.rng)
        truth = ground_truth(planned)
        on_time = sum(p.outcome == "on_time" for p in planned)
        late = sum(p.outcome == "late" for p in planned)
        # windows long enough for the on-time check-ins at ``rate``; grace for the late ones plus 30 s
        window_s = cfg.window_seconds or max(30.0, on_time / cfg.rate)
        grace = max(1, math.ceil((late / cfg.rate + 30) / 60))
        lead = cfg.lead_seconds if cfg.lead_seconds is not None else 20.0 + cfg.employees / 250
        stagger = 5.0
        day_length = timedelta(seconds=lead + 3 * stagger + window_s + grace * 60 + cfg.settle_timeout + 120)
        now = datetime.now(UTC)
        tz = cfg.timezone or zone_with_room(now, day_length, after_midnight=timedelta(hours=1))
        zone = ZoneInfo(tz)
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=cfg.concurrency + 4)) as client:
            await self.setup_directory(client, staff, tz)
            self.timings["directory_s"] = time.monotonic() - started
            first = (datetime.now(UTC) + timedelta(seconds=lead)).astimezone(zone).replace(microsecond=0)
            bounds = {}
            deadlines: dict[str, datetime] = {}
            windows = []
            for i, (wid, name, kind) in enumerate(WINDOWS):
                start = first + timedelta(seconds=i * stagger)
                end = start + timedelta(seconds=window_s)
                bounds[wid] = (start.astimezone(UTC), end.astimezone(UTC))
                deadlines[wid] = end.astimezone(UTC) + timedelta(minutes=grace)
                windows.append(seed.window(wid, name, start, end, [kind], grace_minutes=grace))
            await self.create_letter(client, windows, first.date())
            late_span = grace * 60 - 30.0  # leaves the pipeline 30 s before the deadline
            for p in planned:
                start, end = bounds[p.window]
                if p.outcome == "on_time":
                    p.at = start + timedelta(seconds=self.rng.uniform(0.5, window_s - 0.5))
                elif p.outcome == "late":
                    p.at = end + timedelta(seconds=self.rng.uniform(1.0, late_span))
            self.out(f"Simulasi {self.tenant}: {cfg.employees} pegawai, {len(planned)} wajib lapor, zona {tz} "
                     f"({zone_abbreviation(tz)}), jendela {window_s:.0f} s mulai {first:%H:%M:%S}, seed {cfg.seed}")
            for person in staff:  # sign every token before the day starts
                self.employee(person)
            await self.wait_reporting_knows(client, first.date(), truth, bounds["apel"][0])
            self.timings["setup_s"] = time.monotonic() - started
            day_started = time.monotonic()
            await self.send_all(client, [p for p in planned if p.at is not None])
            self.timings["sent_s"] = time.monotonic() - day_started
            await self.after_overdue(client, first.date(), [p for p in planned if p.outcome == "after_overdue"])
            report = await self.converge(client, first.date(), truth)
            self.timings["day_s"] = time.monotonic() - day_started
        behind, in_doubt = arrivals_after_close(planned, deadlines)
        expected_overdue = sum(truth[w]["missing"] for w in truth) + sum(
            p.outcome == "after_overdue" for p in planned) + behind
        events, duplicates = await self.overdue_events(expected_overdue)
        self.timings["total_s"] = time.monotonic() - started
        result = Result(False, self.tenant, truth, report, expected_overdue, events, duplicates, self.sent, self.failed,
                        round(self.max_lag, 2), {k: round(v, 1) for k, v in self.timings.items()}, in_doubt)
        result.ok = report == truth and result.overdue_matches and duplicates == 0 and self.failed == 0
        result.table = render(result)
        self.out(result.table)
        return result

    async def setup_directory(self, client: httpx.AsyncClient, staff: Sequence[Person], tz: str) -> None:
        seeder = self.seeder(client)
        await seeder.tenant(f"Pemerintah Simulasi {self.tenant}", tz)
        await seeder.units({unit: seed.unit(name, sector) for unit, name, sector in units_of(self.cfg.units)})
        r = await seeder.imports("employees", employees_csv(staff), expect=(200, 201, 404, 405))
        if r.status_code in (404, 405):  # no CSV import on this policy service: one PUT each
            await seeder.employees({p.nip: {
                "name": f"Pegawai Simulasi {i + 1}", "unit_id": p.unit, "position": "Pelaksana",
                "places": [seed.home(p.home, radius_m=100), seed.place("Kantor", "office", *p.office, radius_m=150)]}
                for i, p in enumerate(staff)}, concurrency=self.cfg.concurrency)

    async def create_letter(self, client: httpx.AsyncClient, windows: list[dict], day: date) -> None:
        await self.seeder(client).letter(seed.letter(
            f"800/{self.rng.randint(100, 999)}-SIM/{day.year}", "Simulasi sistem kerja ASN dari rumah", day, windows,
            signatory="Sekretaris Daerah (simulasi)", legal_basis=["SE MenPAN-RB 19/2020"], geofence_radius_m=100,
            max_travel_speed_kmh=1_000_000))

    async def daily(self, client: httpx.AsyncClient, day: date) -> dict | None:
        r = await client.get(f"{self.cfg.reporting_url}/v1/reports/daily", headers=self.admin(),
                             params={"date": day.isoformat()})
        if r.status_code != 200:
            self.last_error = f"HTTP {r.status_code}: {r.text[:300]}"
            return None
        return r.json()

    async def wait_reporting_knows(self, client: httpx.AsyncClient, day: date, truth: dict, first_start: datetime,
                                   ) -> None:
        """Until the reporting service expects everyone (directory and letter arrived)."""
        while True:
            report = await self.daily(client, day)
            if report and {w["window_id"]: w["expected"] for w in report["windows"]} == {
                    w: t["expected"] for w, t in truth.items()}:
                return
            if datetime.now(UTC) > first_start + timedelta(seconds=15):
                raise RuntimeError("the reporting service did not learn the directory and the letter in time; "
                                   f"last report: {json.dumps(report)[:500] if report else self.last_error}")
            await asyncio.sleep(0.5)

    async def send_all(self, client: httpx.AsyncClient, items: list[Planned]) -> None:
        items.sort(key=lambda p: p.at)  # type: ignore[arg-type, return-value]
        gate = asyncio.Semaphore(self.cfg.concurrency)
        tasks = []
        for p in items:
            assert p.at is not None
            wait = (p.at - datetime.now(UTC)).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
            await gate.acquire()
            tasks.append(asyncio.create_task(self.send(client, p, p.at, gate)))
        await asyncio.gather(*tasks)

    async def send(self, client: httpx.AsyncClient, p: Planned, captured: datetime,
                   gate: asyncio.Semaphore | None = None) -> None:
        try:
            body = checkin_body(p, captured, self.rng)
            headers = {**self.employee(p.person), "Idempotency-Key": f"sim-{p.person.nip}-{p.window}"}
            for attempt in range(40):
                try:
                    r = await client.post(f"{self.cfg.checkin_url}/v1/checkins", headers=headers, json=body)
                    if r.status_code in (200, 201):
                        p.accepted_at = datetime.now(UTC)
                        self.sent += 1
                        self.max_lag = max(self.max_lag, (datetime.now(UTC) - captured).total_seconds())
                        return
                    if r.status_code in (400, 409, 422):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(min(2.0, 0.2 * (attempt + 1)))  # 403: the check-in service not told yet
            self.failed += 1
        finally:
            if gate is not None:
                gate.release()

    async def after_overdue(self, client: httpx.AsyncClient, day: date, items: list[Planned]) -> None:
        """Check-ins sent once their window has closed and the overdue notices went out."""
        pending = {w for w, _, _ in WINDOWS}
        deadline = time.monotonic() + self.cfg.settle_timeout
        while pending and time.monotonic() < deadline:
            report = await self.daily(client, day) or {"windows": []}
            closed = {w["window_id"] for w in report["windows"] if w.get("finalized")} & pending
            for window in sorted(closed):
                await self.send_now(client, [p for p in items if p.window == window])
                pending.discard(window)
            if pending:
                await asyncio.sleep(0.5)

    async def send_now(self, client: httpx.AsyncClient, items: list[Planned]) -> None:
        gate = asyncio.Semaphore(self.cfg.concurrency)

        async def go(p: Planned) -> None:
            await gate.acquire()
            await self.send(client, p, datetime.now(UTC), gate)

        await asyncio.gather(*(go(p) for p in items))

    async def converge(self, client: httpx.AsyncClient, day: date, truth: dict) -> dict[str, dict[str, int]]:
        """The report once every window has closed and it stopped changing (or matches)."""
        deadline = time.monotonic() + self.cfg.settle_timeout
        last: dict[str, dict[str, int]] = {}
        stable = 0
        while time.monotonic() < deadline:
            report = await self.daily(client, day) or {"windows": []}
            current = {w["window_id"]: {m: w[m] for m in METRICS} for w in report["windows"]}
            finalized = all(w.get("finalized") for w in report["windows"]) and report["windows"]
            if finalized and current == truth:
                return current
            stable = stable + 1 if current == last and finalized else 0
            if stable >= 45:
                return current
            last = current
            await asyncio.sleep(1.0)
        return last

    async def overdue_events(self, expected: int) -> tuple[int, int]:
        """The tenant's ``report.overdue`` events on Kafka: (count, duplicates)."""
        from aiokafka import AIOKafkaConsumer, TopicPartition
        from aiokafka.admin import AIOKafkaAdminClient

        deadline = time.monotonic() + 60
        tenant = self.tenant.encode()
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.cfg.kafka)
            await admin.start()
            try:
                described = await admin.describe_topics([topics.REPORT_OVERDUE])
            finally:
                await admin.close()
            parts = [TopicPartition(topics.REPORT_OVERDUE, p["partition"]) for p in described[0]["partitions"]]
            consumer = AIOKafkaConsumer(bootstrap_servers=self.cfg.kafka, enable_auto_commit=False)
            await consumer.start()
            keys: Counter[tuple[str, str, str]] = Counter()
            ids: Counter[str] = Counter()
            try:
                consumer.assign(parts)
                await consumer.seek_to_beginning(*parts)
                ends = await consumer.end_offsets(parts)
                remaining = {tp for tp in parts if ends[tp] > 0}
                while remaining:
                    batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
                    for tp, records in batch.items():
                        for r in records:
                            headers = dict(r.headers)
                            if headers.get("ce_tenant") == tenant:
                                data = json.loads(r.value)
                                keys[(data["employee_id"], data["window_id"], data["local_date"])] += 1
                                ids[headers["ce_id"].decode()] += 1
                        if records and records[-1].offset + 1 >= ends[tp]:
                            remaining.discard(tp)
                    for tp in list(remaining):
                        if await consumer.position(tp) >= ends[tp]:
                            remaining.discard(tp)
            finally:
                await consumer.stop()
            count = sum(keys.values())
            duplicates = count - len(keys)
            if count >= expected or time.monotonic() > deadline:
                return count, duplicates
            await asyncio.sleep(1.0)


async def simulate(cfg: Config) -> Result:
    return await Simulator(cfg).run()

