"""Load test of the whole suite on real Kafka and PostgreSQL (issue 8), with its ceilings.

    .venv/bin/python bench/suite_load.py            # full run, 6-9 minutes
    .venv/bin/python bench/suite_load.py --quick    # 2-3 minutes, shorter phases, 1,000 employees

Starts its own PostgreSQL (throwaway cluster) and Kafka (single node) in a temporary
directory on free ports, the four services as processes on PostgreSQL (``Suite``), loads
four governments in three time zones through the policy API (CSV import) with a letter
whose check-in window is open, and drives employees' check-ins with an open-loop load
generator (``tools/bench/loadgen.py``: sends scheduled at a fixed rate,
latency from the scheduled send time). Phases, in order:

1. broker ceiling: Kafka's ``ProducerPerformance`` (acks=all, idempotent);
2. HTTP ceiling: a trivial FastAPI endpoint served by the same ``serve()``, saturated;
3. check-in maximum: ``POST /v1/checkins`` saturated, every service live;
4. half of that maximum: accept latency p50/p99/p99.9, end-to-end latency (HTTP accept →
   the reporting service's ``evaluations`` row committed, from PostgreSQL commit
   timestamps), commits per check-in, CPU per process;
5. sustained 1,000 check-ins/s: single requests if the maximum allows, else clients on
   ``POST /v1/checkins/batch`` (5 check-ins each); is the read model keeping up?
6. consumer ceiling: the policy evaluator drains a backlog of ``checkin.received`` (the
   policy service is stopped while the backlog is made, and again after the measurement if
   some is left), against a bare aiokafka consumer reading the same topic;
7. overdue at scale: 100,000 expected check-ins in one tenant's read model, window closes,
   time until the last ``report.overdue`` is on Kafka.

Prints a table and writes ``bench/results/latest.json``. The machine is shared: the load
average is printed with the figures, and every CPU figure says how much others used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.contracts import topics  # noqa: E402
from tools.bench import deadline, infra, overdue, population, probes, report  # noqa: E402
from tools.bench.infra import say  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EVALUATOR_GROUP = "hadir-policy-evaluator"
NOTIFY_GROUP = "hadir-notify-main"
GROUPS = {
    EVALUATOR_GROUP: [topics.CHECKIN_RECEIVED],
    "hadir-reporting-projections": [topics.CHECKIN_EVALUATED],
    "hadir-checkin-main": [topics.CHECKIN_EVALUATED],
}


@dataclass(frozen=True)
class Plan:
    mode: str
    per_tenant: int  # employees per government (four governments)
    trivial_s: float
    max_s: float
    half_s: float
    sustained_s: float
    sustained_rate: float  # check-ins per second
    batch_s: float  # clients on the batch endpoint at half the maximum (0: skipped)
    backlog: int  # at most this many check-ins queued for the evaluator
    evaluator_s: float  # the evaluator's drain is measured for at most this long
    overdue_employees: int
    overdue_timeout_s: float
    e2e_wait_s: float  # after a phase, wait at most this long for the read model to catch up
    perf_records: int
    pure_s: float = 5.0  # the domain's evaluate() alone, one core
    deadline_s: float = 60.0  # twice the ceiling offered this long up to a window's deadline
    max_offered: float = 4000.0
    connections: int = 96


FULL = Plan("full", per_tenant=2500, trivial_s=15, max_s=20, half_s=30, sustained_s=40, sustained_rate=1000,
            batch_s=15, backlog=30_000, evaluator_s=30, overdue_employees=100_000, overdue_timeout_s=150,
            e2e_wait_s=60, perf_records=200_000)
QUICK = Plan("quick", per_tenant=250, trivial_s=6, max_s=8, half_s=10, sustained_s=8, sustained_rate=1000,
             batch_s=0, backlog=10_000, evaluator_s=10, overdue_employees=100_000, overdue_timeout_s=75,
             e2e_wait_s=15, perf_records=50_000, deadline_s=20)


class Bench:
    def __init__(self, plan: Plan, infrastructure: infra.Infra, suite: Any, workdir: Path) -> None:
        self.plan = plan
        self.infra = infrastructure
        self.suite = suite
        self.workdir = workdir
        self.tokens: list[list[object]] = []
        self.sampler = probes.LagSampler(infrastructure.bootstrap, GROUPS)
        self.phases: dict[str, Any] = {}
        self.runs = 0

    # --- process groups for CPU accounting -----------------------------------------------------

    def groups(self, extra: dict[str, tuple[list[int], bool]] | None = None) -> probes.Groups:
        out: dict[str, tuple[list[int], bool]] = {}
        for name in infra.SERVICES:
            process = self.suite[name].process
            if process is not None and process.poll() is None:
                out[name] = ([process.pid], True)
        kafka_pid = next((p for p in self.infra.kafka.node_pids().values() if p), None)
        if kafka_pid:
            out["kafka"] = ([kafka_pid], False)
        postmaster = self.infra.pg.postmaster_pid()
        if postmaster:
            out["postgres"] = ([postmaster], True)
        out["driver"] = ([os.getpid()], False)
        return {**out, **(extra or {})}

    # --- load generator -------------------------------------------------------------------------

    async def loadgen(self, port: int, *, rate: float, duration: float, mode: str = "single", items: int = 1,
                      drain: float = 10.0, warmup: float = 2.0, path: str = "/v1/checkins",
                      connections: int | None = None, abort: Callable[[], str | None] | None = None,
                      employees: list[list[object]] | None = None) -> dict[str, Any]:
        """Run the load generator; ``abort`` is asked twice a second whether to end the
        schedule early (it returns the reason)."""
        self.runs += 1
        config = {"host": "127.0.0.1", "port": port, "path": path + ("/batch" if mode == "batch" else ""),
                  "rate": rate, "duration": duration, "warmup": warmup, "drain": drain,
                  "connections": connections or self.plan.connections, "mode": mode, "batch_items": items,
                  "employees": employees or self.tokens, "tag": f"run{self.runs}-{int(time.time())}"}
        path_ = self.workdir / f"loadgen-{self.runs}.json"
        path_.write_text(json.dumps(config))
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tools.bench.loadgen",
                                                    str(path_), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        reason: str | None = None

        async def watch() -> None:
            nonlocal reason
            while abort is not None and reason is None:
                await asyncio.sleep(0.5)
                reason = abort()
                if reason is not None:
                    say(f"  ending the schedule early: {reason}")
                    proc.send_signal(signal.SIGTERM)

        watcher = asyncio.create_task(watch())
        try:
            out, err = await proc.communicate()
        except asyncio.CancelledError:
            proc.kill()
            raise
        finally:
            watcher.cancel()
        if proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({proc.returncode}):\n{err.decode()[-3000:]}")
        result = json.loads(out.decode().strip().splitlines()[-1])
        result["stopped_because"] = reason
        return result

    # --- one load phase against the check-in service -------------------------------------------

    async def stage_counts(self) -> dict[str, int]:
        """How many check-ins each stage has handled so far: verdicts produced by the evaluator,
        verdicts consumed by reporting and by notify."""
        bootstrap = self.infra.bootstrap
        return {
            "evaluated": sum((await probes.end_offsets(bootstrap, topics.CHECKIN_EVALUATED)).values()),
            "reporting": await probes.committed_total(bootstrap, "hadir-reporting-projections",
                                                      topics.CHECKIN_EVALUATED),
            "notify": await probes.committed_total(bootstrap, NOTIFY_GROUP, topics.CHECKIN_EVALUATED),
        }

    def backlog_guard(self, since: float, limit: int) -> Callable[[], str | None]:
        """Stop a load once the evaluator's lag passes ``limit`` records: the rate is not being
        sustained, and a larger backlog would only delay (and disturb) the phases after it."""

        def check() -> str | None:
            recent = [s for t, s in self.sampler.samples if t >= since]
            if recent and time.monotonic() - since > 5:
                lag = recent[-1].get(EVALUATOR_GROUP, 0)
                if lag > limit:
                    return f"evaluator lag {lag:,} > {limit:,} after {time.monotonic() - since:.0f}s"
            return None

        return check

    async def checkin_phase(self, name: str, *, rate: float, duration: float, mode: str = "single",
                            items: int = 1, drain: float = 10.0, max_backlog: int | None = None) -> dict[str, Any]:
        say(f"phase {name}: {rate:,.0f} requests/s x {items} check-in(s) for {duration:.0f}s ({mode})")
        databases = [f"hadir_{n}" for n in infra.SERVICES]
        commits_before = await probes.commits(self.infra.admin_dsn, databases)
        rollbacks_before = await probes.commits(self.infra.admin_dsn, databases, "xact_rollback")
        stages_before = await self.stage_counts()
        await probes.reset_statements(self.infra.admin_dsn)
        cpu = probes.CpuWindow(self.groups())
        since = datetime.now(UTC)
        mono = time.monotonic()
        cpu.start()
        guard = self.backlog_guard(mono, max_backlog) if max_backlog else None
        http = await self.loadgen(self.suite["checkin"].port, rate=rate, duration=duration, mode=mode, items=items,
                                  drain=drain, abort=guard)
        until = datetime.now(UTC)
        e2e = await probes.end_to_end(self.infra.dsn("checkin"), self.infra.dsn("reporting"), since, until,
                                      self.plan.e2e_wait_s)
        cpu_stats = cpu.stop()
        statements = await probes.statements(self.infra.admin_dsn, e2e.accepted)
        await asyncio.sleep(1.5)  # backends flush their statistics at most once a second
        commits_after = await probes.commits(self.infra.admin_dsn, databases)
        rollbacks = sum((await probes.commits(self.infra.admin_dsn, databases, "xact_rollback")).values()) \
            - sum(rollbacks_before.values())
        delta = {db: commits_after.get(db, 0) - commits_before.get(db, 0) for db in databases}
        delta["hadir_checkin"] -= e2e.own_queries.get("checkin", 0)
        delta["hadir_reporting"] -= e2e.own_queries.get("reporting", 0)
        checkins = e2e.accepted
        # Per check-in figures: each stage's work over the check-ins *it* handled in the phase (when
        # a backlog is left, the later stages have handled fewer than were accepted).
        handled = {k: max(1, v - stages_before.get(k, 0)) for k, v in (await self.stage_counts()).items()}
        divisor = {"hadir_checkin": checkins, "checkin": checkins, "loadgen": checkins, "driver": checkins,
                   "hadir_policy": handled["evaluated"], "policy": handled["evaluated"],
                   "hadir_reporting": handled["reporting"], "reporting": handled["reporting"],
                   "hadir_notify": handled["notify"], "notify": handled["notify"]}

        def per_checkin(values: dict[str, float], scale: float = 1.0) -> dict[str, float]:
            # Kafka and PostgreSQL serve every stage: over the check-ins evaluated (mid-pipeline).
            return {k: round(scale * v / max(1, divisor.get(k, handled["evaluated"])), 3) for k, v in values.items()}

        cpu_stats["percent_of_one_core"]["loadgen"] = round(100 * http.get("cpu_s", 0) / cpu_stats["wall_s"], 1)
        result: dict[str, Any] = {
            "http": http,
            "e2e": {"accepted": e2e.accepted, "arrived": e2e.arrived, "p50_ms": e2e.percentile_ms(0.5),
                    "p99_ms": e2e.percentile_ms(0.99), "p999_ms": e2e.percentile_ms(0.999),
                    "max_ms": e2e.percentile_ms(1.0), "throughput_rps": e2e.throughput,
                    "tail_s": e2e.tail_seconds},
            "commits": {"per_database": delta, "total": sum(delta.values()),
                        "per_checkin": round(sum(per_checkin(dict(delta)).values()), 3) if checkins else None,
                        "rollbacks_per_checkin": round(rollbacks / checkins, 3) if checkins else None},
            "cpu": cpu_stats,
            "cpu_ms_per_checkin": per_checkin({**cpu_stats["cpu_s"], "loadgen": http.get("cpu_s", 0)}, 1000)
            if checkins else None,
            "lag": self.sampler.window(mono),
            "statements": statements,
            "handled": {"accepted": checkins, **handled},
        }
        say(f"  accepted {http['achieved_checkins_per_s']:,.0f} check-ins/s, p99 {http['latency_ms']['p99']} ms, "
            f"e2e p99 {result['e2e']['p99_ms']} ms ({e2e.arrived}/{e2e.accepted} arrived), "
            f"commits/check-in {result['commits']['per_checkin']}, load {probes.loadavg()[0]:.2f}")
        self.phases[name] = result
        return result

    # --- ceilings -----------------------------------------------------------------------------------

    async def producer_ceiling(self) -> None:
        """Kafka's own producer at full speed; meanwhile the idle services' background commits
        (relay polls, readiness probes, schedulers) are counted, for reference."""
        records = self.plan.perf_records
        say(f"phase producer_perf: Kafka ProducerPerformance, {records:,} records of 600 bytes")
        databases = [f"hadir_{n}" for n in infra.SERVICES]
        before, started = await probes.commits(self.infra.admin_dsn, databases), time.monotonic()
        self.phases["producer_perf"] = await asyncio.to_thread(
            probes.producer_performance, self.infra.bootstrap, "bench.producer-perf.v1", records, 600,
            self.workdir / "perf-logs")
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))
        after, elapsed = await probes.commits(self.infra.admin_dsn, databases), time.monotonic() - started
        self.phases["idle_commits_per_s"] = {db: round((after.get(db, 0) - before.get(db, 0)) / elapsed, 1)
                                             for db in databases}
        say(f"  {self.phases['producer_perf']['records_per_s']:,.0f} records/s; idle services commit "
            f"{sum(self.phases['idle_commits_per_s'].values()):.1f} transactions/s")

    async def trivial_ceiling(self) -> None:
        port = infra.free_block(25001, 1)
        with infra.trivial_server(port, self.workdir / "trivial.log") as proc:
            say(f"phase trivial: saturating the trivial endpoint for {self.plan.trivial_s:.0f}s")
            cpu = probes.CpuWindow(self.groups({"trivial": ([proc.pid], False)}))
            cpu.start()
            http = await self.loadgen(port, rate=self.plan.max_offered * 2, duration=self.plan.trivial_s, drain=0)
            stats = cpu.stop()
            stats["percent_of_one_core"]["loadgen"] = round(100 * http.get("cpu_s", 0) / stats["wall_s"], 1)
        say(f"  trivial: {http['achieved_rps']:,.0f} requests/s")
        self.phases["trivial"] = {"http": http, "cpu": stats}

    def backlog_size(self) -> int:
        """Enough check-ins to keep the evaluator busy for the measuring time, judging by the
        end-to-end rates seen so far (at least 5,000: it takes 500 a batch; at most ``plan.backlog``)."""
        seen = [p["e2e"]["throughput_rps"] or 0 for p in self.phases.values() if isinstance(p, dict) and "e2e" in p]
        estimate = max(seen, default=0) * 1.5 * self.plan.evaluator_s
        return int(min(self.plan.backlog, max(5000, estimate)) // 1000 * 1000)

    async def evaluator_ceiling(self) -> None:
        waiting = (await self.sampler.now()).get(EVALUATOR_GROUP, 0)
        n = max(0, self.backlog_size() - waiting) // 1000 * 1000
        say(f"phase evaluator: policy stopped, {n:,} check-ins queued on {topics.CHECKIN_RECEIVED}")
        before = sum((await probes.end_offsets(self.infra.bootstrap, topics.CHECKIN_RECEIVED)).values())
        self.suite["policy"].stop()
        items = 20
        http: dict[str, Any] = {"ok": 0}
        if n:
            http = await self.loadgen(self.suite["checkin"].port, rate=50, duration=n / (50 * items), mode="batch",
                                      items=items, drain=30, warmup=0)
        accepted = http["ok"] * items
        deadline = time.monotonic() + 120
        while (target := sum((await probes.end_offsets(self.infra.bootstrap, topics.CHECKIN_RECEIVED)).values())) \
                < before + accepted:
            if time.monotonic() > deadline:
                raise RuntimeError("the check-in outbox did not publish the backlog within 120 s")
            await asyncio.sleep(0.5)
        committed = await probes.committed_total(self.infra.bootstrap, EVALUATOR_GROUP, topics.CHECKIN_RECEIVED)
        say(f"  backlog of {target - committed:,} records; starting policy again")
        self.suite["policy"].start()
        restarted = time.monotonic()
        start = committed
        first: tuple[float, int] | None = None
        cpu: probes.CpuWindow | None = None
        deadline = time.monotonic() + 120  # to start consuming (the service restarts meanwhile)
        while True:
            now = time.monotonic()
            done = await probes.committed_total(self.infra.bootstrap, EVALUATOR_GROUP, topics.CHECKIN_RECEIVED)
            if first is None and done > start:
                first = (now, done)
                deadline = now + self.plan.evaluator_s
                cpu = probes.CpuWindow(self.groups())
                cpu.start()
            if done >= target or now > deadline:
                break
            await asyncio.sleep(0.2)
        end = time.monotonic()
        rate = (done - first[1]) / (end - first[0]) if first and end > first[0] and done > first[1] else None
        cpu_stats = cpu.stop() if cpu else None
        say(f"  evaluator drained at {rate or 0:,.0f} records/s; reading the topic with a bare consumer")
        raw = await probes.raw_consume(self.infra.bootstrap, topics.CHECKIN_RECEIVED)
        say(f"  raw aiokafka consumption {raw['records_per_s']:,.0f} records/s")
        self.phases["evaluator"] = {"backlog": target - start, "drained": done - start,
                                    "measured_s": round(end - first[0], 1) if first else None,
                                    "restart_to_first_commit_s": round(first[0] - restarted, 1) if first else None,
                                    "records_per_s": round(rate, 1) if rate else None, "cpu": cpu_stats,
                                    "raw_consume": raw, "backlog_http": http}
        # Let the pipeline (policy too: the next phase's window closes only once the watermark passes its
        # deadline) absorb what is left before going on.
        await self.settle(GROUPS, timeout=self.plan.e2e_wait_s)

    async def pure_evaluate(self) -> None:
        """The domain's ``evaluate()`` in a loop in a process of its own (one core), same run."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.bench.pure_evaluate", str(self.plan.pure_s), stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        self.phases["pure_evaluate"] = json.loads(out)
        say(f"phase pure evaluate: {self.phases['pure_evaluate']['per_s']:,.0f} evaluations/s on one core "
            f"({self.phases['pure_evaluate']['us_each']} µs each)")

    async def across_deadline(self) -> None:
        """Twice the sustained ceiling up to a window's deadline; then no overdue notice may go to
        anyone whose check-in was accepted before it (:mod:`tools.bench.deadline`)."""
        ceiling = max((p["e2e"]["throughput_rps"] or 0 for p in self.phases.values()
                       if isinstance(p, dict) and "e2e" in p), default=0)
        rate = 2 * max(ceiling, 50.0)
        lead = timedelta(seconds=self.plan.deadline_s + 10)
        start, due = await deadline.open_deadline_window(self.suite["policy"].url, self.mint, lead)
        say(f"phase deadline: a window closing at {due:%H:%M:%S} UTC; {rate:,.0f} check-ins/s (2 x the ceiling) "
            f"from 9 in 10 employees until then")
        await asyncio.sleep(5)  # the amendment reaches the check-in and reporting read models
        senders = [t for i, t in enumerate(self.tokens) if i % 10 != 9]
        duration = (due - datetime.now(UTC)).total_seconds() - 1
        http = await self.loadgen(self.suite["checkin"].port, rate=rate / 5, duration=duration, mode="batch",
                                  items=5, drain=5, warmup=0, employees=senders)
        closed_after = await deadline.wait_closed(self.infra.dsn("reporting"), timeout=420)
        result = await deadline.judge(self.infra.dsn("checkin"), self.infra.dsn("reporting"), self.infra.bootstrap,
                                      start, due)
        result |= {"offered_checkins_per_s": round(rate, 1), "http": http,
                   "closed_s_after_load": round(closed_after, 1) if closed_after is not None else None}
        self.phases["deadline"] = result
        say(f"  closed {result['closed_s_after_load']} s after the load; expected {result['expected']:,}, accepted "
            f"before the deadline {result['accepted_before_deadline']:,}, silent {result['silent']:,}; "
            f"false_overdue {result['false_overdue']}, missing_overdue {result['missing_overdue']}, "
            f"forced closures {result['forced_closures']}")

    async def settle(self, groups: dict[str, list[str]], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lags = await self.sampler.now()
            if all(lags.get(g, 0) == 0 for g in groups):
                return
            await asyncio.sleep(1)

    async def overdue_at_scale(self) -> None:
        n = self.plan.overdue_employees
        say(f"phase overdue: {n:,} expected check-ins, window closing shortly")
        cpu = probes.CpuWindow(self.groups())
        cpu.start()
        result = await overdue.run(self.infra.dsn("reporting"), self.infra.bootstrap, n,
                                   settle_seconds=float(infra.suite_env(self.infra)["HADIR_REPORTING_SETTLE_SECONDS"]),
                                   timeout=self.plan.overdue_timeout_s)
        result["cpu"] = cpu.stop()
        say(f"  overdue: {result.get('published'):,} of {n:,} published; last {result.get('seconds')} s after "
            f"the close (pick-up {result.get('pickup_seconds')} s, closing transaction "
            f"{result.get('close_transaction_seconds')} s, publishing {result.get('publish_seconds')} s)")
        self.phases["overdue"] = result

    # --- the run ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        mint = self.mint = population.TokenMint(self.infra.private_key.read_bytes())
        say(f"loading 4 governments x {self.plan.per_tenant:,} employees through the policy API")
        people = await population.load(self.suite["policy"].url, mint, self.plan.per_tenant)
        took = await population.wait_propagated({n: self.infra.dsn(n) for n in infra.SERVICES}, len(people),
                                                len(population.TENANTS))
        say(f"  directory and letters in the check-in and reporting read models after {took:.1f}s")
        people.sort(key=lambda e: (e.nip[-3:], e.tenant))  # interleave the governments
        self.tokens = population.employee_tokens(mint, people)
        await self.sampler.start()
        try:
            await self.settle(GROUPS, timeout=60)
            await self.producer_ceiling()
            await self.trivial_ceiling()
            maximum = await self.checkin_phase("checkin_max", rate=self.plan.max_offered, duration=self.plan.max_s,
                                               drain=0, max_backlog=self.plan.backlog)
            checkin_rps = maximum["http"]["achieved_rps"]
            await self.settle(GROUPS, timeout=self.plan.e2e_wait_s)
            await self.checkin_phase("checkin_half", rate=max(1.0, checkin_rps / 2), duration=self.plan.half_s,
                                     max_backlog=self.plan.backlog)
            if self.plan.batch_s:
                best = max(p["e2e"]["throughput_rps"] or 0 for p in self.phases.values() if "e2e" in p)
                await self.checkin_phase("batch_clients", rate=max(1.0, min(500, best / 2) / 5),
                                         duration=self.plan.batch_s, mode="batch", items=5,
                                         max_backlog=self.plan.backlog)
            rate = self.plan.sustained_rate
            guard = max(3000, int(3 * rate))
            if checkin_rps >= rate * 1.05:
                await self.checkin_phase("sustained", rate=rate, duration=self.plan.sustained_s, drain=5,
                                         max_backlog=guard)
            else:  # single requests cannot reach the rate: clients send batches of 5 (offline sync)
                await self.checkin_phase("sustained", rate=rate / 5, duration=self.plan.sustained_s, mode="batch",
                                         items=5, drain=5, max_backlog=guard)
            await self.evaluator_ceiling()
            await self.pure_evaluate()
            await self.overdue_at_scale()
            await self.across_deadline()
        finally:
            await self.sampler.stop()


def summarise(phases: dict[str, Any]) -> dict[str, Any]:
    s: dict[str, Any] = {}

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    if "trivial" in phases:
        s["trivial_rps"] = phases["trivial"]["http"]["achieved_rps"]
    if "checkin_max" in phases:
        s["checkin_rps"] = phases["checkin_max"]["http"]["achieved_rps"]
        s["checkin_max_e2e_rps"] = phases["checkin_max"]["e2e"]["throughput_rps"]
    s["checkin_vs_trivial"] = ratio(s.get("checkin_rps"), s.get("trivial_rps"))
    if "checkin_half" in phases:
        half = phases["checkin_half"]
        s["accept_rate_rps"] = half["http"]["achieved_rps"]
        s["accept_p50_ms"] = half["http"]["latency_ms"]["p50"]
        s["accept_p99_ms"] = half["http"]["latency_ms"]["p99"]
        s["accept_p999_ms"] = half["http"]["latency_ms"]["p999"]
        s["e2e_p50_ms"] = half["e2e"]["p50_ms"]
        s["e2e_p99_ms"] = half["e2e"]["p99_ms"]
        s["commits_per_checkin_single"] = half["commits"]["per_checkin"]
        s["statements_per_checkin_single"] = {db.removeprefix("hadir_"): v["per_checkin"]
                                              for db, v in (half.get("statements") or {}).items()}
    if "sustained" in phases:
        sus = phases["sustained"]
        s["sustained_mode"] = (f"{sus['http']['mode']} x{sus['http']['checkins_per_request']}"
                               if sus["http"]["mode"] == "batch" else "single")
        s["sustained_offered_checkins_per_s"] = sus["http"]["offered_rps"] * sus["http"]["checkins_per_request"]
        s["e2e_sustained_rps"] = sus["e2e"]["throughput_rps"]
        s["e2e_sustained_tail_s"] = sus["e2e"]["tail_s"]
        s["sustained_e2e_p99_ms"] = sus["e2e"]["p99_ms"]
        tail = sus["e2e"]["tail_s"]
        s["e2e_sustained_no_backlog"] = (sus["e2e"]["arrived"] == sus["e2e"]["accepted"] and tail is not None
                                         and tail <= 2.0 and sus["http"]["dropped"] == 0
                                         and not sus["http"].get("stopped_early"))
        s["e2e_sustained_stopped_because"] = sus["http"].get("stopped_because")
        s["commits_per_checkin"] = sus["commits"]["per_checkin"]
        per = sus.get("cpu_ms_per_checkin") or {}
        suite_ms = sum(v for k, v in per.items() if k not in ("driver", "loadgen"))
        s["cpu_ms_per_checkin"] = round(suite_ms, 2) if per else None
        # What the suite's own CPU per check-in would allow if it had the machine to itself.
        cores = os.cpu_count() or 1
        s["projected_idle_machine_checkins_per_s"] = round(1000 * cores / suite_ms) if suite_ms else None
    if "batch_clients" in phases:
        s["commits_per_checkin_batch"] = phases["batch_clients"]["commits"]["per_checkin"]
    if "evaluator" in phases:
        ev = phases["evaluator"]
        s["evaluator_rps"] = ev["records_per_s"]
        s["raw_consume_rps"] = ev["raw_consume"]["records_per_s"]
        s["evaluator_vs_raw_consume"] = ratio(ev["records_per_s"], ev["raw_consume"]["records_per_s"])
    if "pure_evaluate" in phases:
        s["pure_evaluate_rps"] = phases["pure_evaluate"]["per_s"]
        s["evaluator_vs_pure"] = ratio(s.get("evaluator_rps"), s["pure_evaluate_rps"])
    if "producer_perf" in phases:
        s["producer_perf_rps"] = phases["producer_perf"]["records_per_s"]
    if "idle_commits_per_s" in phases:
        s["idle_commits_per_s"] = round(sum(phases["idle_commits_per_s"].values()), 1)
    if "deadline" in phases:
        s["false_overdue"] = phases["deadline"]["false_overdue"]
        s["missing_overdue"] = phases["deadline"]["missing_overdue"]
    if "overdue" in phases:
        s["overdue_100k_seconds"] = phases["overdue"].get("seconds")
        s["overdue_employees"] = phases["overdue"].get("employees")
        s["overdue_published"] = phases["overdue"].get("published")
        if s["overdue_100k_seconds"] is None:
            s["overdue_not_within_s"] = phases["overdue"].get("timeout_s")
    lags = [g["max"] for p in phases.values() if isinstance(p, dict) and "lag" in p for g in p["lag"].values()]
    s["consumer_lag_max"] = max(lags, default=None)
    return s


async def main_async(plan: Plan, out: Path) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # clean up on SIGTERM too
    started = datetime.now(UTC)
    load_start = probes.loadavg()
    with tempfile.TemporaryDirectory(prefix="hadir-bench-run-") as tmp, infra.infrastructure() as infrastructure:
        workdir = Path(tmp)
        log_dir = ROOT / "test-artifacts" / "bench-logs"
        with infra.running_suite(infrastructure, log_dir) as suite:
            bench = Bench(plan, infrastructure, suite, workdir)
            error = None
            try:
                await bench.run()
            except Exception as exc:  # keep what was measured; the error is reported
                error = repr(exc)
                say(f"run stopped early: {error}")
            phases = bench.phases
    summary = summarise(phases)
    result = {
        "environment": {"mode": plan.mode, "started": started.isoformat(timespec="seconds"),
                        "cores": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": probes.loadavg(),
                        "python": sys.version.split()[0], "error": error,
                        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1)},
        "summary": summary,
        "phases": phases,
    }
    result["targets"] = report.targets(summary)
    return result


def write(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter phases, fewer employees (about 2-3 minutes)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    try:
        result = asyncio.run(main_async(plan, args.out))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; nothing written", file=sys.stderr)
        return 130
    write(result, args.out)
    print(report.render(result))
    print(f"\n(written to {args.out}; total {result['environment']['duration_s']:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
