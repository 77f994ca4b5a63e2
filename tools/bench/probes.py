"""What the benchmark reads while the suite runs: CPU time per process tree (``/proc``),
PostgreSQL commits (``pg_stat_database``), consumer lag (committed offsets), end-to-end
latency (commit timestamps of read-model rows) and the two Kafka ceilings (raw aiokafka
consumption, Kafka's own ``ProducerPerformance``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.lag import measure
from tools.kafka import config as kafka_config

TICK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- CPU


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, reaped children's CPU seconds) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / TICK
    reaped = (int(fields[13]) + int(fields[14])) / TICK
    return ppid, own, reaped


def _tree(roots: Sequence[int]) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(int(entry))) is not None:
            parents[int(entry)] = info[0]
    members = {r for r in roots if r in parents}
    grew = True
    while grew:
        extra = {pid for pid, ppid in parents.items() if ppid in members and pid not in members}
        members |= extra
        grew = bool(extra)
    return members


Groups = Mapping[str, tuple[Sequence[int], bool]]  # name -> (root pids, with their descendants?)


def cpu_seconds(groups: Groups) -> dict[str, float]:
    """CPU seconds used so far by each named group: its processes (with their descendants
    when asked, plus the children the roots have reaped, e.g. PostgreSQL backends that exited)."""
    out: dict[str, float] = {}
    for name, (roots, descendants) in groups.items():
        total = 0.0
        for pid in _tree(roots) if descendants else roots:
            info = _stat(pid)
            if info is not None:
                total += info[1] + (info[2] if descendants and pid in roots else 0.0)
        out[name] = total
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return float(total - idle), float(total)


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


@dataclass
class CpuWindow:
    """CPU use of named process groups and of the machine between ``start()`` and ``stop()``."""

    groups: Groups
    started: float = 0.0
    before: dict[str, float] = field(default_factory=dict)
    machine_before: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self.started = time.monotonic()
        self.before = cpu_seconds(self.groups)
        self.machine_before = machine_cpu()

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        after = cpu_seconds(self.groups)
        busy, total = machine_cpu()
        cores = os.cpu_count() or 1
        used = {name: after[name] - self.before.get(name, 0.0) for name in after}
        per = {name: round(100 * seconds / wall, 1) for name, seconds in used.items()}
        machine = 100 * cores * (busy - self.machine_before[0]) / max(1.0, total - self.machine_before[1])
        ours = sum(per.values())
        return {"wall_s": round(wall, 1), "cpu_s": {k: round(v, 2) for k, v in used.items()},
                "percent_of_one_core": per, "ours_percent": round(ours, 1),
                "machine_percent": round(machine, 1), "others_percent": round(max(0.0, machine - ours), 1),
                "capacity_percent": 100 * cores, "loadavg": loadavg()}


# ------------------------------------------------------------------------- commits


async def commits(admin_dsn: str, databases: Sequence[str], column: str = "xact_commit") -> dict[str, int]:
    """``xact_commit`` (or ``xact_rollback``) of each database, cumulative; read from the
    ``postgres`` database so that reading it adds nothing to the figures."""
    assert column in ("xact_commit", "xact_rollback")
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch(f"SELECT datname, {column} FROM pg_stat_database WHERE datname = ANY($1::text[])",
                                list(databases))
    finally:
        await conn.close()
    return {r["datname"]: int(r[column]) for r in rows}


# Statements this benchmark runs itself (excluded from the services' figures).
OWN_STATEMENTS = ("pg_stat_", "pg_xact_commit_timestamp", "FROM evaluations WHERE checkin_id = ANY",
                  "FROM checkins WHERE received_at >=", "directory_employees), (SELECT count")


async def reset_statements(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def statements(admin_dsn: str, checkins: int, top: int = 6) -> dict[str, Any]:
    """Statements per check-in of each database since the last reset, and the most frequent
    ones (normalised text, calls per check-in, mean milliseconds)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT d.datname, s.calls, s.total_exec_time, s.query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'hadir_%' ORDER BY s.calls DESC")
    finally:
        await conn.close()
    out: dict[str, Any] = {}
    for r in rows:
        query = " ".join(r["query"].split())
        if any(mark in query for mark in OWN_STATEMENTS):
            continue
        db = out.setdefault(r["datname"], {"per_checkin": 0.0, "top": []})
        db["per_checkin"] += r["calls"] / max(1, checkins)
        if len(db["top"]) < top:
            db["top"].append({"calls_per_checkin": round(r["calls"] / max(1, checkins), 3),
                              "mean_ms": round(r["total_exec_time"] / max(1, r["calls"]), 3), "query": query[:160]})
    for db in out.values():
        db["per_checkin"] = round(db["per_checkin"], 2)
    return out


# ----------------------------------------------------------------------------- lag


class LagSampler:
    """Samples the committed-offset lag of consumer groups every ``interval`` seconds."""

    def __init__(self, bootstrap: str, groups: Mapping[str, Sequence[str]], interval: float = 1.0) -> None:
        self.bootstrap = bootstrap
        self.groups = dict(groups)
        self.interval = interval
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._task: asyncio.Task[None] | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._probe: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        self._probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self._admin.start()
        await self._probe.start()
        self._task = asyncio.create_task(self._run())

    async def now(self) -> dict[str, int]:
        assert self._admin is not None and self._probe is not None
        out = {}
        for group, topics in self.groups.items():
            lags = await measure(self._probe, self._admin, group, topics)
            out[group] = sum(lags.values())
        return out

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                self.samples.append((time.monotonic(), await self.now()))
            await asyncio.sleep(self.interval)

    def window(self, since: float, until: float | None = None) -> dict[str, dict[str, int]]:
        """Max and last lag of each group over the samples taken in ``[since, until]``."""
        chosen = [s for t, s in self.samples if t >= since and (until is None or t <= until)]
        out: dict[str, dict[str, int]] = {}
        for group in self.groups:
            values = [s.get(group, 0) for s in chosen]
            out[group] = {"max": max(values, default=0), "last": values[-1] if values else 0}
        return out

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._probe is not None:
            await self._probe.stop()
        if self._admin is not None:
            await self._admin.close()


async def committed_total(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(0, o.offset) for tp, o in offsets.items() if tp.topic == topic)


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return dict(await consumer.end_offsets(parts)) if parts else {}
    finally:
        await consumer.stop()


# --------------------------------------------------------------------- end to end


@dataclass
class EndToEnd:
    """Check-ins accepted in a time range and when each reached the reporting read model."""

    accepted: int
    arrived: int
    latencies: list[float]  # seconds, sorted
    first_accept: datetime | None
    last_accept: datetime | None
    last_arrival: datetime | None
    own_queries: dict[str, int] = field(default_factory=dict)  # transactions this probe ran, per service

    def percentile_ms(self, q: float) -> float | None:
        if not self.latencies:
            return None
        index = min(len(self.latencies) - 1, max(0, round(q * len(self.latencies) + 0.5) - 1))
        return round(self.latencies[index] * 1000, 1)

    @property
    def throughput(self) -> float | None:
        """Check-ins per second into the read model: when every check-in arrived within 2 s
        of the last accept, the pipeline kept pace with the load (accepted over the time the
        load ran); otherwise what it got through, from the first accept to the last arrival."""
        if not self.arrived or self.first_accept is None or self.last_accept is None or self.last_arrival is None:
            return None
        tail = self.tail_seconds or 0.0
        if self.arrived == self.accepted and tail <= 2.0:
            span = (self.last_accept - self.first_accept).total_seconds()
        else:
            span = (self.last_arrival - self.first_accept).total_seconds()
        return round(self.arrived / span, 1) if span > 0 else None

    @property
    def tail_seconds(self) -> float | None:
        """From the last accept to the last arrival: the backlog left when the load stopped."""
        if self.last_accept is None or self.last_arrival is None:
            return None
        return round((self.last_arrival - self.last_accept).total_seconds(), 2)


async def end_to_end(checkin_dsn: str, reporting_dsn: str, since: datetime, until: datetime,
                     wait_seconds: float = 120.0) -> EndToEnd:
    """Waits until every check-in received in ``[since, until)`` is in the reporting service's
    ``evaluations`` table (or ``wait_seconds`` pass), then pairs each check-in's
    ``received_at`` (HTTP accept) with the commit time of its evaluation row."""
    conn = await asyncpg.connect(checkin_dsn)
    try:
        rows = await conn.fetch("SELECT id, received_at FROM checkins WHERE received_at >= $1 AND received_at < $2",
                                since, until)
    finally:
        await conn.close()
    accepted = {r["id"]: r["received_at"] for r in rows}
    ids = list(accepted)
    conn = await asyncpg.connect(reporting_dsn)
    try:
        deadline = time.monotonic() + wait_seconds
        arrived: dict[str, datetime] = {}
        polls = 1
        while True:
            polls += 1
            count = await conn.fetchval("SELECT count(*) FROM evaluations WHERE checkin_id = ANY($1::text[])", ids)
            if count >= len(ids) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        for r in await conn.fetch(
                "SELECT checkin_id, pg_xact_commit_timestamp(xmin) AS at FROM evaluations "
                "WHERE checkin_id = ANY($1::text[])", ids):
            if r["at"] is not None:
                arrived[r["checkin_id"]] = r["at"]
    finally:
        await conn.close()
    latencies = sorted((arrived[i] - accepted[i]).total_seconds() for i in arrived)
    return EndToEnd(len(ids), len(arrived), latencies, min(accepted.values(), default=None),
                    max(accepted.values(), default=None), max(arrived.values(), default=None),
                    {"checkin": 1, "reporting": polls})


# --------------------------------------------------------------- Kafka ceilings


async def raw_consume(bootstrap: str, topic: str) -> dict[str, Any]:
    """Read every record of ``topic`` with a bare aiokafka consumer (no group, no decoding,
    no database): the ceiling a consumer of this topic works under."""
    ends = await end_offsets(bootstrap, topic)
    wanted = sum(ends.values())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        seen = 0
        started = time.perf_counter()
        while seen < wanted:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if not batches and time.perf_counter() - started > 60:
                break
            seen += sum(len(records) for records in batches.values())
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"records": seen, "seconds": round(elapsed, 2), "records_per_s": round(seen / elapsed, 1)}


PERF_LINE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                       r"([\d.]+) ms max latency(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th)?")


def producer_performance(bootstrap: str, topic: str, records: int, record_size: int,
                         log_dir: Path) -> dict[str, Any]:
    """Kafka's ``ProducerPerformance`` at full speed with the services' producer settings
    (idempotent, acks=all): the broker ceiling on this machine."""
    lib = kafka_config.fetch_jars(quiet=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    command = kafka_config.java_command(
        kafka_config.find_java(), lib, log_dir, ["-Xmx512m", "-Djava.awt.headless=true"],
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic", topic, "--num-records", str(records), "--record-size", str(record_size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true",
        "linger.ms=5", "batch.size=65536", "compression.type=none")
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    elapsed = time.perf_counter() - started
    match = None
    for line in proc.stdout.splitlines():
        match = PERF_LINE.search(line) or match
    if proc.returncode != 0 or match is None:
        output = proc.stdout[-2000:] + proc.stderr[-2000:]
        raise RuntimeError(f"ProducerPerformance failed ({proc.returncode}):\n{output}")
    return {"records": int(match[1]), "record_bytes": record_size, "records_per_s": float(match[2]),
            "mb_per_s": float(match[3]), "avg_latency_ms": float(match[4]), "max_latency_ms": float(match[5]),
            "p99_latency_ms": float(match[8]) if match[8] else None, "wall_s": round(elapsed, 1)}
