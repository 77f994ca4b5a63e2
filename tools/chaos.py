"""Fault scenarios on real infrastructure: a crash or a broken connection must never lose
or duplicate a check-in, nor a notification (``make chaos``).

    python -m tools.chaos [--fault NAME ...] [--log-dir DIR]

One environment serves every scenario: a three-node Kafka cluster (``kafka_local``,
topics with replication factor 3, ``min.insync.replicas=2``, producers ``acks=all``),
one throwaway PostgreSQL server with a database per service (``postgres_local``) and
the four services as child processes (``suite``). Each scenario loads a fresh tenant
over HTTP, streams check-ins while one fault strikes, waits for the system to
converge and prints one line::

    FAULT <name>: sent=N accepted=N counted=N lost=0 duplicates=0

Faults: ``broker-kill`` (SIGKILL the Kafka node coordinating the policy service's
consumer group, restart it), ``<service>-kill`` for checkin, policy, reporting and
notify (SIGKILL, restart), ``postgres-restart`` (fast shutdown, restart); on request
also ``postgres-crash`` (SIGKILL the postmaster).

The stream. 24 employees in two units; 20 of them share their location once in each
of 15 consecutive one-second windows (300 check-ins over ~21 s): 6 through the offline
batch endpoint (three windows per batch), the others one by one, every 7th sent twice
at once (a double tap). 4 never check in, so every window ends in ``report.overdue``
notices, and their unit heads get escalations. The device stamps ``captured_at``
inside the window; the client retries with the same Idempotency-Key (and body) on
connection errors and 5xx until the API answers 201, as a phone app does.

Counting. Reporting counts expected employees per window, so each check-in fills its
own (employee, window) cell and ``counted`` is the daily report's on time + late
summed over the windows (``GET /v1/reports/daily``); the per-employee rows of the
export (``/daily/export?sheet=rincian``) tell which cells. Then

- ``sent``: check-ins the client attempted; ``accepted``: distinct ones answered 201;
- ``lost``: accepted check-ins reporting does not count, accepted check-ins whose
  verdict never came back to the check-in service, and overdue notices or
  escalations reporting's ledger calls for that notify never recorded;
- ``duplicates``: rows beyond one per check-in in the check-in store (same employee
  and capture time), cells counted that no accepted check-in fills, one Idempotency-Key
  answered with two ids, and notifications beyond one per (kind, recipient, channel,
  occurrence, subject, body).

Exit status 1 if any scenario lost or duplicated anything (or the client could not
get every check-in accepted), 2 if the environment could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime import devkeys
from services.runtime.settings import REPO_ROOT
from tools import ports
from tools.kafka import cluster as kafka_local
from tools.kafka.cluster import KafkaCluster
from tools.postgres import cluster as postgres_local
from tools.postgres.cluster import LocalPostgres
from tools.suite import Suite
from tools.zones import zone_with_room

SERVICES = ("checkin", "policy", "notify", "reporting")
FAULTS = ("broker-kill", "checkin-kill", "policy-kill", "reporting-kill", "notify-kill", "postgres-restart")
EXTRA_FAULTS = ("postgres-crash",)  # on request (--fault) only

WINDOWS = 15
SPACING = 1.4  # seconds between window starts
WINDOW_LENGTH = 1.0  # seconds a window is open
LEAD = 6.0  # seconds from the letter to its first window: the read models fill meanwhile
SETTLE = 3  # HADIR_REPORTING_SETTLE_SECONDS: a window closes this long after its end
FAULT_AT = 0.3  # share of the stream after which the fault strikes
DOWNTIME = 4.0  # seconds a killed process stays down
ACCEPT_DEADLINE = 120.0  # seconds a client keeps retrying one check-in
CONVERGE_TIMEOUT = 90.0
EMPLOYEES = 24
ABSENT = {11, 12, 23, 24}  # never check in
HEADS = {1, 13}  # unit heads (they check in too)
BATCH_EVERY = 3  # windows per offline batch
DOUBLE_TAP = 7  # every 7th single check-in is sent twice at once
COUNTED = {"on_time", "late", "Tepat waktu", "Terlambat"}
ESCALATE_DAILY, ESCALATE_WEEKLY = 3, 8  # notify's defaults
VICTIM_GROUP = "hadir-policy-evaluator"  # broker-kill kills this group's coordinator


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"chaos [{time.monotonic() - _STARTED:5.0f}s] {message}", file=sys.stderr, flush=True)


class ChaosSetupError(RuntimeError):
    """The environment (Kafka, PostgreSQL, the services) could not start."""


# ------------------------------------------------------------------ the environment


@dataclass
class Environment:
    """Kafka (3 nodes), PostgreSQL and the four services, shared by the scenarios."""

    kafka: KafkaCluster
    pg: LocalPostgres
    suite: Suite
    private_key: Path
    workdir: Path

    @classmethod
    def start(cls, log_dir: Path) -> Environment:
        workdir = Path(tempfile.mkdtemp(prefix="hadir-chaos-"))
        kafka: KafkaCluster | None = None
        pg: LocalPostgres | None = None
        suite: Suite | None = None
        try:
            say("starting a three-node Kafka cluster")
            kafka = kafka_local.start(workdir / "kafka", nodes=3, port=ports.free_block(23092, 3, (0, 1000)))
            say("starting PostgreSQL")
            pg = postgres_local.start_throwaway()
            urls = {name: pg.create_database(f"hadir_{name}") for name in SERVICES}
            private_key, jwks = devkeys.ensure_dev_keys(workdir / "keys")
            base = ports.free_block(19101, len(SERVICES))
            log_dir.mkdir(parents=True, exist_ok=True)
            for name in SERVICES:
                (log_dir / f"{name}.log").unlink(missing_ok=True)
            suite = Suite(
                log_dir=log_dir,
                ports={name: base + i for i, name in enumerate(SERVICES)},
                env={
                    "HADIR_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
                    "HADIR_TOPIC_REPLICATION": "3",
                    "HADIR_TOPIC_PARTITIONS": "6",
                    "HADIR_JWT_JWKS_FILE": str(jwks),
                    "HADIR_LOG_LEVEL": "INFO",
                    "HADIR_OUTBOX_POLL_SECONDS": "0.2",
                    "HADIR_REPORTING_SCAN_SECONDS": "0.5",
                    "HADIR_REPORTING_SETTLE_SECONDS": str(SETTLE),
                    "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
                    "HADIR_REPORTING_LOOKBACK_DAYS": "1",
                },
                service_env={name: {f"HADIR_{name.upper()}_DATABASE_URL": url} for name, url in urls.items()},
            )
            say(f"starting the services (logs in {log_dir})")
            suite.start()
            suite.wait_ready(timeout=240)
        except BaseException as exc:
            _teardown(kafka, pg, suite, workdir)
            if isinstance(exc, Exception):
                raise ChaosSetupError(f"{type(exc).__name__}: {exc}") from exc
            raise
        return cls(kafka, pg, suite, private_key, workdir)

    def stop(self) -> None:
        _teardown(self.kafka, self.pg, self.suite, self.workdir)

    def url(self, service: str) -> str:
        return self.suite[service].url

    def heal(self) -> None:
        """Bring back whatever a fault left down (a scenario that failed half-way)."""
        if not self.pg.is_running():
            self.pg.start()
        for node, pid in self.kafka.node_pids().items():
            if pid is None:
                self.kafka.start_node(node)
        for name in SERVICES:
            if not self.suite[name].alive():
                self.suite[name].start()
        self.suite.wait_ready(timeout=180)


def _teardown(kafka: KafkaCluster | None, pg: LocalPostgres | None, suite: Suite | None, workdir: Path) -> None:
    if suite is not None:
        with contextlib.suppress(Exception):
            suite.stop()
    if kafka is not None:
        with contextlib.suppress(Exception):
            kafka.stop()
    if pg is not None:
        with contextlib.suppress(Exception):
            pg.destroy()
    shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------- faults


async def _kill_service(env: Environment, name: str) -> None:
    proc = env.suite[name]
    say(f"kill -9 {name} (pid {proc.process.pid if proc.process else '?'})")
    proc.kill()
    await asyncio.sleep(DOWNTIME)
    proc.start()
    await asyncio.to_thread(env.suite.wait_ready, 180, (name,))
    say(f"{name} restarted and ready")


async def _coordinator_of(env: Environment, group: str) -> int:
    """The broker coordinating ``group`` (node 1 if that cannot be found out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.kafka.bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        return await admin.find_coordinator(group)
    except Exception:  # noqa: BLE001 — any broker will do
        return 1
    finally:
        await admin.close()


async def _kill_broker(env: Environment) -> None:
    """The broker that coordinates the evaluator group leads partitions too: its death moves
    both the group coordinator and partition leadership in the middle of the stream."""
    node = await _coordinator_of(env, VICTIM_GROUP)
    say(f"kill -9 Kafka node {node}, coordinator of {VICTIM_GROUP} (pid {env.kafka.node_pids().get(node)})")
    await asyncio.to_thread(env.kafka.kill_node, node)
    await asyncio.sleep(DOWNTIME + 2)
    await asyncio.to_thread(env.kafka.start_node, node)
    say(f"Kafka node {node} restarted and back in the cluster")


async def _restart_postgres(env: Environment) -> None:
    say("restarting PostgreSQL (fast shutdown, 3 s down)")
    await asyncio.to_thread(env.pg.restart, "fast", 3.0)
    say("PostgreSQL is back")


async def _crash_postgres(env: Environment) -> None:
    say("kill -9 PostgreSQL's postmaster (crash recovery on restart, 3 s down)")
    await asyncio.to_thread(env.pg.kill)
    await asyncio.sleep(3.0)
    await asyncio.to_thread(env.pg.start)
    say("PostgreSQL recovered")


def fault_action(name: str) -> Callable[[Environment], Awaitable[None]]:
    if name == "broker-kill":
        return _kill_broker
    if name == "postgres-restart":
        return _restart_postgres
    if name == "postgres-crash":
        return _crash_postgres
    service = name.removesuffix("-kill")
    if name.endswith("-kill") and service in SERVICES:
        return lambda env: _kill_service(env, service)
    raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")


# --------------------------------------------------------------------- the tenant


@dataclass(frozen=True)
class Person:
    index: int
    nip: str
    name: str
    unit: str
    home: tuple[float, float]

    @property
    def streams(self) -> bool:
        return self.index not in ABSENT

    @property
    def batches(self) -> bool:
        return self.index % 4 == 2


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


@dataclass
class Tenant:
    id: str
    zone: str
    day: date
    start: datetime  # first window's start (UTC)
    people: list[Person]
    tokens: dict[str, dict[str, str]]  # nip (or "admin") → headers

    def window_name(self, k: int) -> str:
        return f"Lokasi {k + 1:02d}"

    def window_start(self, k: int) -> datetime:
        return self.start + timedelta(seconds=k * SPACING)

    @property
    def stream_seconds(self) -> float:
        return (WINDOWS - 1) * SPACING + WINDOW_LENGTH


def _people() -> list[Person]:
    return [Person(index=i, nip=f"198501012010011{i:03d}", name=f"Pegawai C{i:02d}",
                   unit="bkd" if i <= EMPLOYEES // 2 else "diskominfo", home=(-6.10 - i * 0.002, 106.15))
            for i in range(1, EMPLOYEES + 1)]


def _token(private_key: Path, tenant: str, roles: list[str], subject: str, nip: str | None = None,
           unit: str | None = None) -> dict[str, str]:
    token = devkeys.issue_token(private_key, subject=subject, roles=roles, tenant=tenant, nip=nip, unit=unit)
    return {"Authorization": f"Bearer {token}"}


async def _expect(response: Awaitable[httpx.Response], *codes: int) -> httpx.Response:
    r = await response
    if r.status_code not in codes:
        raise RuntimeError(f"{r.request.method} {r.request.url} → {r.status_code}: {r.text[:500]}")
    return r


async def setup_tenant(env: Environment, http: httpx.AsyncClient, fault: str) -> Tenant:
    """Directory and letter over HTTP; returns once check-in and reporting know them."""
    tenant_id = f"chaos-{fault}-{uuid.uuid4().hex[:6]}"
    zone = zone_with_room(datetime.now(UTC), timedelta(minutes=10), after_midnight=timedelta(minutes=5))
    people = _people()
    tokens = {"admin": _token(env.private_key, tenant_id, ["tenant_admin"], f"admin@{tenant_id}")}
    for p in people:
        tokens[p.nip] = _token(env.private_key, tenant_id, ["employee"], p.nip, p.nip, p.unit)
    admin = tokens["admin"]
    policy = env.url("policy")
    await _expect(http.put(f"{policy}/v1/tenant", headers=admin,
                           json={"name": f"Pemerintah Uji {fault}", "kind": "province", "timezone": zone}), 200)
    for unit, name in (("bkd", "Badan Kepegawaian Daerah"), ("diskominfo", "Dinas Komunikasi dan Informatika")):
        await _expect(http.put(f"{policy}/v1/units/{unit}", headers=admin,
                               json={"name": name, "sector": "non_essential"}), 200)
    for p in people:
        await _expect(http.put(f"{policy}/v1/employees/{p.nip}", headers=admin, json={
            "name": p.name, "unit_id": p.unit, "is_unit_head": p.index in HEADS,
            "places": [{"name": "Rumah", "kind": "home", "latitude": p.home[0], "longitude": p.home[1],
                        "radius_m": 200}]}), 200)
    await _until(lambda: _checkin_knows(env, http, tenant_id, people, tokens), 60, "check-in service knows everyone")

    start = (datetime.now(UTC) + timedelta(seconds=LEAD)).replace(microsecond=0)
    local = ZoneInfo(zone)
    tenant = Tenant(tenant_id, zone, start.astimezone(local).date(), start, people, tokens)
    windows = []
    for k in range(WINDOWS):
        opens = tenant.window_start(k).astimezone(local)
        closes = opens + timedelta(seconds=WINDOW_LENGTH)
        windows.append({"id": f"w{k + 1:02d}", "name": tenant.window_name(k), "start": opens.time().isoformat(),
                        "end": closes.time().isoformat(), "grace_minutes": 0, "kinds": ["location"]})
    await _expect(http.post(f"{policy}/v1/policies", headers=admin, json={
        "number": f"800/{fault}/CHAOS", "title": "Uji ketahanan", "signatory": "Sekda",
        "valid_from": tenant.day.isoformat(),
        "content": {"windows": windows, "geofence_radius_m": 200, "working_days": [1, 2, 3, 4, 5, 6, 7]}}), 201)

    async def reporting_ready() -> bool:
        r = await http.get(f"{env.url('reporting')}/v1/reports/daily", headers=admin,
                           params={"date": tenant.day.isoformat()})
        windows = (r.json().get("windows") if r.status_code == 200 else None) or []
        return len(windows) == WINDOWS and windows[0]["expected"] == EMPLOYEES

    first_closure = start + timedelta(seconds=WINDOW_LENGTH + SETTLE - 0.5)
    await _until(reporting_ready, max(1.0, (first_closure - datetime.now(UTC)).total_seconds()),
                 "reporting knows the letter and every employee before the first window closes")
    return tenant


async def _checkin_knows(env: Environment, http: httpx.AsyncClient, tenant: str, people: list[Person],
                         tokens: dict[str, dict[str, str]]) -> bool:
    """A check-in captured 100 h ago is refused as too late (422) once the employee is
    known, and as unknown (403) before: a probe that stores nothing."""
    old = (datetime.now(UTC) - timedelta(hours=100)).isoformat()
    for p in people:
        r = await http.post(f"{env.url('checkin')}/v1/checkins", headers={**tokens[p.nip], "Idempotency-Key": "probe"},
                            json={"kind": "attendance", "captured_at": old})
        if r.status_code != 422:
            return False
    return True


async def _until(probe: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if await probe():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"setup: timed out after {timeout:.0f} s waiting until {what}")
        await asyncio.sleep(0.3)


# --------------------------------------------------------------------- the stream


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


async def _sleep_until(instant: datetime) -> None:
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


async def stream(env: Environment, http: httpx.AsyncClient, tenant: Tenant, plans: list[CheckinPlan],
                 clashes: list[str], failures: Counter[str]) -> None:
    checkin = env.url("checkin")

    async def single(plan: CheckinPlan) -> None:
        await _sleep_until(plan.send_at)
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
        await _sleep_until(max(p.send_at for p in group))
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


# -------------------------------------------------------------------- observation


@dataclass
class Observation:
    """What the read side says, and how it compares with what the client was told."""

    counted: int = 0
    finalized: int = 0
    counted_cells: set[tuple[str, int]] = field(default_factory=set)
    overdue_cells: list[tuple[str, int]] = field(default_factory=list)
    pending_verdicts: int = 0
    missing_in_store: int = 0
    store_duplicates: int = 0
    notices_missing: int = 0
    notice_duplicates: int = 0
    notifications: int = 0

    def settled(self, accepted: set[tuple[str, int]]) -> bool:
        return (self.finalized == WINDOWS and accepted <= self.counted_cells and self.pending_verdicts == 0
                and self.missing_in_store == 0 and self.notices_missing == 0)


async def _get_all(http: httpx.AsyncClient, url: str, headers: dict[str, str],
                   params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        r = await _expect(http.get(url, headers=headers, params={**params, "limit": 1000, "offset": len(rows)}), 200)
        page = r.json()
        rows += page
        if len(page) < 1000:
            return rows


async def observe(env: Environment, http: httpx.AsyncClient, tenant: Tenant, plans: list[CheckinPlan]) -> Observation:
    admin, day = tenant.tokens["admin"], tenant.day.isoformat()
    names = {tenant.window_name(k): k for k in range(WINDOWS)}
    by_name = {p.name: p for p in tenant.people}
    obs = Observation()

    reporting = env.url("reporting")
    report = (await _expect(http.get(f"{reporting}/v1/reports/daily", headers=admin, params={"date": day}), 200)).json()
    obs.counted = sum(w["on_time"] + w["late"] for w in report["windows"])
    obs.finalized = sum(1 for w in report["windows"] if w["finalized"])
    export = await _expect(http.get(f"{reporting}/v1/reports/daily/export", headers=admin,
                                    params={"date": day, "format": "csv", "sheet": "rincian"}), 200)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    head = rows[0]
    nip_at, window_at, status_at = head.index("NIP"), head.index("Jendela"), head.index("Status")
    overdue_at = next(i for i, h in enumerate(head) if h.startswith("Pemberitahuan"))
    for row in rows[1:]:
        cell = (row[nip_at], names[row[window_at]])
        if row[status_at] in COUNTED:
            obs.counted_cells.add(cell)
        if row[overdue_at] == "Ya":
            obs.overdue_cells.append(cell)

    stored: Counter[tuple[str, str]] = Counter()
    status_of: dict[str, str] = {}
    for unit in ("bkd", "diskominfo"):
        for c in await _get_all(http, f"{env.url('checkin')}/v1/units/{unit}/checkins", admin, {"date": day}):
            stored[(c["employee_id"], _instant(c["captured_at"]))] += 1
            status_of[c["id"]] = c["status"]
    obs.store_duplicates = sum(n - 1 for n in stored.values())
    accepted = [p.checkin_id for p in plans if p.checkin_id is not None]
    obs.missing_in_store = sum(1 for i in accepted if i not in status_of)
    obs.pending_verdicts = sum(1 for i in accepted if status_of.get(i) == "pending")

    notes = await _get_all(http, f"{env.url('notify')}/v1/notifications", admin, {})
    obs.notifications = len(notes)
    identical = Counter((n["kind"], n["recipient"], n["channel"], n["occurrence"], n["subject"], n["body"])
                        for n in notes)
    obs.notice_duplicates = sum(n - 1 for n in identical.values())
    seen: Counter[tuple[str, ...]] = Counter()
    for n in notes:
        if n["kind"] == "overdue" and (m := re.search(r"Lokasi \d\d", n["subject"])):
            seen[("overdue", n["recipient"], str(names[m.group()]))] += 1
        elif n["kind"] == "escalation" and (m := re.search(r"Pegawai C\d\d", n["subject"])):
            seen[("escalation", n["recipient"], n["occurrence"].split(":")[0], by_name[m.group()].nip)] += 1
    obs.notices_missing = sum(max(0, n - seen[k]) for k, n in expected_notices(tenant, obs.overdue_cells).items())
    return obs


def expected_notices(tenant: Tenant, overdue_cells: list[tuple[str, int]]) -> Counter[tuple[str, ...]]:
    """One overdue notice per overdue ledger row; an escalation to each other head of the
    unit when an employee's overdue count of the day (of the week) reaches its threshold."""
    expected: Counter[tuple[str, ...]] = Counter(("overdue", nip, str(k)) for nip, k in overdue_cells)
    per_employee = Counter(nip for nip, _ in overdue_cells)
    people = {p.nip: p for p in tenant.people}
    for nip, n in per_employee.items():
        heads = [p.nip for p in tenant.people if p.index in HEADS and p.unit == people[nip].unit and p.nip != nip]
        for period, threshold in (("day", ESCALATE_DAILY), ("week", ESCALATE_WEEKLY)):
            if n >= threshold:
                expected.update(("escalation", head, period, nip) for head in heads)
    return expected


def _instant(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat()


# ---------------------------------------------------------------------- scenarios


@dataclass
class Result:
    name: str
    sent: int
    accepted: int
    counted: int
    lost: int
    duplicates: int
    seconds: float
    details: dict[str, Any]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.accepted == self.sent and not self.errors

    def line(self) -> str:
        return (f"FAULT {self.name}: sent={self.sent} accepted={self.accepted} counted={self.counted} "
                f"lost={self.lost} duplicates={self.duplicates}")

    def explain(self) -> str:
        parts = " ".join(f"{k}={v}" for k, v in self.details.items())
        errors = "".join(f"\n  error: {e}" for e in self.errors[:10])
        return f"  {self.name} ({self.seconds:.0f} s): {parts}{errors}"


async def scenario(env: Environment, fault: str) -> Result:
    started = time.monotonic()
    action = fault_action(fault)
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=200)) as http:
        tenant = await setup_tenant(env, http, fault)
        plans = plan_stream(tenant)
        say(f"{fault}: tenant {tenant.id} ({tenant.zone}); streaming {len(plans)} check-ins "
            f"over {tenant.stream_seconds:.0f} s")
        clashes: list[str] = []
        failures: Counter[str] = Counter()

        async def strike() -> None:
            await _sleep_until(tenant.start + timedelta(seconds=FAULT_AT * tenant.stream_seconds))
            await action(env)

        await asyncio.gather(stream(env, http, tenant, plans, clashes, failures), strike())
        streamed = time.monotonic()
        accepted_cells = {(p.person.nip, p.window) for p in plans if p.checkin_id is not None}
        say(f"{fault}: stream done ({len(accepted_cells)} accepted); waiting for convergence")

        deadline = time.monotonic() + CONVERGE_TIMEOUT
        obs, problem, settled = Observation(), "", False
        while True:
            try:
                obs, problem = await observe(env, http, tenant, plans), ""
                if obs.settled(accepted_cells):
                    await asyncio.sleep(2)  # let late duplicates show up, then count again
                    obs, settled = await observe(env, http, tenant, plans), True
                    break
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1.5)

    not_counted = len(accepted_cells - obs.counted_cells)
    extra_cells = len(obs.counted_cells - accepted_cells)
    unreturned = obs.pending_verdicts + obs.missing_in_store
    lost = not_counted + unreturned + obs.notices_missing
    duplicates = obs.store_duplicates + extra_cells + len(clashes) + obs.notice_duplicates
    errors = [f"{p.key}: {p.error}" for p in plans if p.error]
    if problem:
        errors.append(f"last observation failed: {problem}")
    if not settled:
        errors.append(f"not converged within {CONVERGE_TIMEOUT:.0f} s (windows closed: {obs.finalized}/{WINDOWS})")
    if obs.counted != len(obs.counted_cells):
        errors.append(f"daily report counts {obs.counted} but its rows show {len(obs.counted_cells)} cells")
    details = {
        "not_counted": not_counted, "verdicts_not_returned": unreturned, "notices_missing": obs.notices_missing,
        "store_duplicates": obs.store_duplicates, "extra_cells": extra_cells, "key_clashes": len(clashes),
        "notice_duplicates": obs.notice_duplicates, "windows_closed": obs.finalized,
        "overdue": len(obs.overdue_cells), "notifications": obs.notifications,
        "attempts": sum(p.attempts for p in plans),
        "retried_on": ",".join(f"{k}:{v}" for k, v in sorted(failures.items())) or "-",
        "converged_in_s": round(time.monotonic() - streamed),
    }
    return Result(fault, len(plans), len(accepted_cells), obs.counted, lost, duplicates,
                  time.monotonic() - started, details, errors)


def run_fault(env: Environment, fault: str) -> Result:
    """Run one scenario (synchronously); afterwards the environment is whole again."""
    fault_action(fault)  # reject unknown names before touching anything
    try:
        return asyncio.run(scenario(env, fault))
    finally:
        env.heal()


# ---------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fault", action="append", choices=FAULTS + EXTRA_FAULTS,
                        help="run only this fault (repeatable); default: all of them")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / "test-artifacts" / "chaos",
                        help="where the services' logs go (default: test-artifacts/chaos)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        env = Environment.start(args.log_dir)
    except ChaosSetupError as exc:
        print(f"chaos: the environment did not start: {exc}", file=sys.stderr)
        return 2
    results: list[Result] = []
    try:
        say(f"environment ready in {time.monotonic() - started:.0f} s")
        for fault in args.fault or FAULTS:
            try:
                result = run_fault(env, fault)
            except Exception as exc:  # noqa: BLE001 — a scenario that could not run fails, the others go on
                result = Result(fault, 0, 0, 0, 0, 0, 0.0, {}, [f"{type(exc).__name__}: {exc}"])
            results.append(result)
            print(result.line(), flush=True)
            say(result.explain().strip())
    finally:
        env.stop()
    failed = [r for r in results if not r.ok]
    say(f"{len(results)} fault(s) in {time.monotonic() - started:.0f} s; "
        + (f"FAILED: {', '.join(r.name for r in failed)}" if failed else "nothing lost, nothing duplicated"))
    for r in failed:
        print(r.explain(), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
