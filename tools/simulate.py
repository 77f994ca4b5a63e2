"""``hadir simulate``: one compressed working day against running services, checked
against its own ground truth.

It creates a tenant over the policy API (units of the three sectors, N employees
through the CSV import — or one ``PUT`` each where the import is missing — and a
circular letter whose four windows — apel/attendance, location share, video
conference, activity report — open a little after now and last a few tens of
seconds, every day of the week a working day), then plays the day: each employee's
check-in for each window is, by a seeded random draw, on time, late (after the
window's end, before its deadline), missing, or late *after* the overdue notice; a
sent check-in may come from outside the geofence (attendance and location) or carry
the device's mock-location flag (suspicious). Check-ins go through the check-in API
with each employee's token, concurrently and bounded, at their capture time. Once
the windows have closed it reads the reporting service's daily report and counts
the tenant's ``report.overdue`` events on Kafka, and prints its ground truth beside
them; the exit status is 1 on any difference.

Staff of the critical unit (100 % in the office) work in the office: only the
attendance window is asked of them (the policy's rule), at the office's geofence.

Compressed time makes travel speeds meaningless, so the simulated letter raises
``max_travel_speed_kmh``; everything else is the default policy.

    python -m tools.simulate --employees 5000 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from services.contracts import topics
from services.contracts.policy import zone_abbreviation
from services.runtime.devkeys import ensure_dev_keys, issue_token
from services.runtime.settings import REPO_ROOT
from tools.zones import zone_with_room

WINDOWS = (
    ("apel", "Apel pagi (simulasi)", "attendance"),
    ("lokasi", "Berbagi lokasi (simulasi)", "location"),
    ("rapat", "Rapat video (simulasi)", "video_conference"),
    ("laporan", "Laporan kegiatan (simulasi)", "activity_report"),
)
GEOFENCED = {"attendance", "location"}
OUTCOMES = ("on_time", "late", "missing", "after_overdue")
METRICS = ("expected", "on_time", "late", "missing", "outside_geofence", "suspicious")
UNIT_SECTORS = (("dinkes", "Dinas Kesehatan", "critical"), ("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah",
                "essential"), ("diskominfo", "Dinas Komunikasi dan Informatika", "essential"))
CENTRE = (-6.1202, 106.1503)  # Serang, Banten


@dataclass
class Config:
    policy_url: str = "http://127.0.0.1:8002"
    checkin_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8004"
    kafka: str = "127.0.0.1:9092"
    private_key: Path | None = None
    employees: int = 5000
    units: int = 10
    seed: int = 20260310
    tenant: str | None = None
    timezone: str | None = None
    window_seconds: float | None = None  # default: sized from the volume and ``rate``
    rate: float = 40.0  # check-ins per second the services are expected to sustain (sizes the windows)
    concurrency: int = 24
    mix: dict[str, float] = field(default_factory=lambda: {
        "on_time": 0.70, "late": 0.12, "missing": 0.12, "after_overdue": 0.06})
    outside_share: float = 0.08
    suspicious_share: float = 0.05
    lead_seconds: float | None = None  # from the letter to the first window; default sized from N
    settle_timeout: float = 180.0
    out: Callable[[str], None] | None = None


@dataclass
class Person:
    nip: str
    unit: str
    sector: str
    home: tuple[float, float]
    office: tuple[float, float]


@dataclass
class Planned:
    person: Person
    window: str
    kind: str
    outcome: str
    outside: bool
    suspicious: bool
    at: datetime | None = None  # capture time (None for after_overdue: when sent)
    accepted_at: datetime | None = None  # when the check-in API acknowledged it


@dataclass
class Result:
    ok: bool
    tenant: str
    truth: dict[str, dict[str, int]]
    report: dict[str, dict[str, int]]
    overdue_expected: int
    overdue_events: int
    overdue_duplicates: int
    sent: int
    failed: int
    max_lag_s: float
    timings: dict[str, float]
    overdue_in_doubt: int = 0
    table: str = ""

    @property
    def overdue_matches(self) -> bool:
        return self.overdue_expected <= self.overdue_events <= self.overdue_expected + self.overdue_in_doubt


# A check-in acknowledged this close before a deadline may still be on its way through
# policy and reporting when the window closes; one acknowledged this long after it
# certainly arrived after the closure (deadline + the reporting settle delay).
DOUBT_BEFORE = timedelta(seconds=30)
DOUBT_AFTER = timedelta(seconds=60)


def arrivals_after_close(planned: Sequence[Planned], deadlines: dict[str, datetime]) -> tuple[int, int]:
    """Check-ins planned on time or late whose acknowledgement came too late for the
    closure (the sender fell behind schedule): (certainly overdue, in doubt)."""
    certain = doubt = 0
    for p in planned:
        if p.outcome not in ("on_time", "late") or p.accepted_at is None:
            continue
        deadline = deadlines[p.window]
        if p.accepted_at >= deadline + DOUBT_AFTER:
            certain += 1
        elif p.accepted_at >= deadline - DOUBT_BEFORE:
            doubt += 1
    return certain, doubt


def nip_for(i: int) -> str:
    """A valid PNS NIP (birth date, first appointment, gender, sequence) for employee ``i``."""
    born = date(1970, 1, 1) + timedelta(days=i // 999)
    gender = "1" if (i // 999) % 2 == 0 else "2"
    return f"{born:%Y%m%d}199501{gender}{i % 999 + 1:03d}"


def units_of(count: int) -> list[tuple[str, str, str]]:
    units = list(UNIT_SECTORS[:count])
    for i in range(len(units), count):
        units.append((f"opd-{i:02d}", f"Organisasi Perangkat Daerah {i:02d}", "non_essential"))
    return units


def offset(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / 111_320
    dlon = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(point[0])))
    return round(point[0] + dlat, 7), round(point[1] + dlon, 7)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on a local flat approximation (plenty for a few kilometres)."""
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def people(cfg: Config, rng: random.Random) -> list[Person]:
    units = units_of(cfg.units)
    offices = {u: offset(CENTRE, rng.uniform(500, 5000), rng) for u, _, _ in units}
    staff = []
    for i in range(cfg.employees):
        unit, _, sector = units[i % len(units)]
        staff.append(Person(nip_for(i), unit, sector, offset(CENTRE, rng.uniform(1000, 20000), rng), offices[unit]))
    return staff


def plan(cfg: Config, staff: Sequence[Person], rng: random.Random) -> list[Planned]:
    """Every expected (employee, window) with its drawn outcome and flags."""
    planned = []
    outcomes, weights = zip(*cfg.mix.items(), strict=True)
    for person in staff:
        for window, _, kind in WINDOWS:
            if person.sector == "critical" and kind != "attendance":
                continue  # in the office: only attendance is asked of them
            outcome = rng.choices(outcomes, weights)[0]
            sent = outcome != "missing"
            outside = sent and kind in GEOFENCED and rng.random() < cfg.outside_share
            suspicious = sent and rng.random() < cfg.suspicious_share
            planned.append(Planned(person, window, kind, outcome, outside, suspicious))
    return planned


def ground_truth(planned: Sequence[Planned]) -> dict[str, dict[str, int]]:
    truth = {w: dict.fromkeys(METRICS, 0) for w, _, _ in WINDOWS}
    for p in planned:
        t = truth[p.window]
        t["expected"] += 1
        t[{"on_time": "on_time", "late": "late", "after_overdue": "late", "missing": "missing"}[p.outcome]] += 1
        t["outside_geofence"] += p.outside
        t["suspicious"] += p.suspicious
    return truth


def employees_csv(staff: Sequence[Person]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["nip", "nama", "jabatan", "unit", "aktif", "rumah_lat", "rumah_lon", "rumah_radius",
                     "kantor_lat", "kantor_lon", "kantor_radius"])
    for i, p in enumerate(staff):
        writer.writerow([p.nip, f"Pegawai Simulasi {i + 1}", "Pelaksana", p.unit, "ya", p.home[0], p.home[1], 100,
                         p.office[0], p.office[1], 150])
    return buffer.getvalue().encode()


def checkin_body(p: Planned, captured: datetime, rng: random.Random) -> dict:
    anchor = p.person.office if p.person.sector == "critical" else p.person.home
    body: dict = {"kind": p.kind, "captured_at": captured.isoformat(), "device_id": f"sim-{p.person.nip[-6:]}"}
    if p.kind in GEOFENCED or p.suspicious:
        where = offset(anchor, rng.uniform(0, 25), rng)
        if p.outside:  # away from every place of the employee's
            while True:
                where = offset(anchor, rng.uniform(600, 900), rng)
                if min(metres(where, p.person.home), metres(where, p.person.office)) > 400:
                    break
        body["location"] = {"latitude": where[0], "longitude": where[1], "accuracy_m": 12.0,
                            "mock_location": p.suspicious}
    if p.kind == "activity_report":
        body["activity_text"] = "Menyusun laporan kegiatan harian (simulasi)"
    if p.kind == "video_conference":
        body["meeting_ref"] = "https://meet.example.go.id/rapat-simulasi"
    return body


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

    async def call(self, client: httpx.AsyncClient, method: str, url: str, **kwargs: object) -> httpx.Response:
        """One request, retried on connection errors and 5xx."""
        for attempt in range(8):
            try:
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.HTTPError:
                if attempt == 7:
                    raise
            else:
                if response.status_code < 500 or attempt == 7:
                    return response
            await asyncio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

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
                windows.append({"id": wid, "name": name, "start": start.time().isoformat(),
                                "end": end.time().isoformat(), "grace_minutes": grace, "kinds": [kind]})
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
        cfg, admin = self.cfg, self.admin()
        r = await self.call(client, "PUT", f"{cfg.policy_url}/v1/tenant", headers=admin,
                            json={"name": f"Pemerintah Simulasi {self.tenant}", "kind": "province", "timezone": tz})
        _expect(r, "tenant")
        for unit, name, sector in units_of(cfg.units):
            r = await self.call(client, "PUT", f"{cfg.policy_url}/v1/units/{unit}", headers=admin,
                                json={"name": name, "sector": sector})
            _expect(r, f"unit {unit}")
        r = await self.call(client, "POST", f"{cfg.policy_url}/v1/imports/employees",
                            headers={**admin, "Content-Type": "text/csv"}, content=employees_csv(staff))
        if r.status_code in (404, 405):  # no CSV import on this policy service: one PUT each
            gate = asyncio.Semaphore(cfg.concurrency)

            async def put(p: Person, i: int) -> None:
                async with gate:
                    places = [{"name": "Rumah", "kind": "home", "latitude": p.home[0], "longitude": p.home[1],
                               "radius_m": 100},
                              {"name": "Kantor", "kind": "office", "latitude": p.office[0],
                               "longitude": p.office[1], "radius_m": 150}]
                    resp = await self.call(client, "PUT", f"{cfg.policy_url}/v1/employees/{p.nip}", headers=admin,
                                           json={"name": f"Pegawai Simulasi {i + 1}", "unit_id": p.unit,
                                                 "position": "Pelaksana", "places": places})
                    _expect(resp, f"employee {p.nip}")

            await asyncio.gather(*(put(p, i) for i, p in enumerate(staff)))
        else:
            _expect(r, "employee import")

    async def create_letter(self, client: httpx.AsyncClient, windows: list[dict], day: date) -> None:
        body = {"number": f"800/{self.rng.randint(100, 999)}-SIM/{day.year}",
                "title": "Simulasi sistem kerja ASN dari rumah", "signatory": "Sekretaris Daerah (simulasi)",
                "legal_basis": ["SE MenPAN-RB 19/2020"], "valid_from": day.isoformat(),
                "content": {"windows": windows, "working_days": [1, 2, 3, 4, 5, 6, 7], "geofence_radius_m": 100,
                            "max_travel_speed_kmh": 1_000_000}}
        _expect(await self.call(client, "POST", f"{self.cfg.policy_url}/v1/policies", headers=self.admin(),
                                json=body), "circular letter")

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


def _expect(response: httpx.Response, what: str) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")


def render(r: Result) -> str:
    lines = [f"{'jendela':<10}{'ukuran':<18}{'kebenaran':>10}{'laporan':>10}  cocok"]
    for window, truth in r.truth.items():
        for metric in METRICS:
            got = r.report.get(window, {}).get(metric)
            lines.append(f"{window:<10}{metric:<18}{truth[metric]:>10}{'-' if got is None else got:>10}  "
                         f"{'ya' if got == truth[metric] else 'TIDAK'}")
    doubt = f" (+{r.overdue_in_doubt} ragu/in doubt)" if r.overdue_in_doubt else ""
    lines.append(f"{'overdue':<10}{'report.overdue':<18}{r.overdue_expected:>10}{r.overdue_events:>10}  "
                 f"{'ya' if r.overdue_matches else 'TIDAK'}{doubt}")
    lines.append(f"{'overdue':<10}{'duplikat':<18}{0:>10}{r.overdue_duplicates:>10}  "
                 f"{'ya' if r.overdue_duplicates == 0 else 'TIDAK'}")
    lines.append(f"check-in terkirim {r.sent}, gagal {r.failed}, jeda kirim maks {r.max_lag_s} s; "
                 f"waktu {r.timings}")
    if r.max_lag_s > 25:
        lines.append(f"PERINGATAN: pengirim tertinggal {r.max_lag_s} s dari jadwal (mesin terlalu sibuk?); "
                     "check-in yang tiba setelah jendela ditutup dihitung terlambat dan mendapat report.overdue / "
                     "the sender fell behind schedule: lower --rate or the number of employees")
    lines.append("HASIL: COCOK" if r.ok else "HASIL: TIDAK COCOK")
    return "\n".join(lines)


async def simulate(cfg: Config) -> Result:
    return await Simulator(cfg).run()


def parse_args(argv: Sequence[str] | None) -> Config:
    env = os.environ
    parser = argparse.ArgumentParser(prog="hadir simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--tenant")
    parser.add_argument("--timezone", choices=["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
    parser.add_argument("--window-seconds", type=float)
    parser.add_argument("--rate", type=float, default=40.0,
                        help="check-ins per second the services sustain; sizes the windows")
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--policy-url", default=env.get("HADIR_POLICY_URL", "http://127.0.0.1:8002"))
    parser.add_argument("--checkin-url", default=env.get("HADIR_CHECKIN_URL", "http://127.0.0.1:8001"))
    parser.add_argument("--reporting-url", default=env.get("HADIR_REPORTING_URL", "http://127.0.0.1:8004"))
    parser.add_argument("--kafka", default=env.get("HADIR_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--private-key", type=Path, help="ES256 key the services' JWKS trusts (default: var/dev-keys)")
    parser.add_argument("--settle-timeout", type=float, default=180.0)
    a = parser.parse_args(argv)
    return Config(policy_url=a.policy_url, checkin_url=a.checkin_url, reporting_url=a.reporting_url, kafka=a.kafka,
                  private_key=a.private_key, employees=a.employees, units=a.units, seed=a.seed, tenant=a.tenant,
                  timezone=a.timezone, window_seconds=a.window_seconds, rate=a.rate, concurrency=a.concurrency,
                  settle_timeout=a.settle_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulation; 0 when the report equals the ground truth, 1 otherwise."""
    cfg = parse_args(argv)
    try:
        result = asyncio.run(simulate(cfg))
    except (RuntimeError, httpx.HTTPError) as exc:
        print(f"simulasi gagal / simulation failed: {exc}", file=sys.stderr)
        return 2
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
