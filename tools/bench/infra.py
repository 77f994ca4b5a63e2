"""The benchmark's own infrastructure, all in temporary directories on free ports: a
throwaway PostgreSQL cluster (one database per service), a single-node Kafka from the
Maven jars, development keys, and the four services as processes (``Suite``).

PostgreSQL runs with the settings of ``postgres_local`` (fsync and synchronous commit on)
plus ``track_commit_timestamp = on``, so that the commit time of a read-model row gives
the end-to-end latency without polling, and ``pg_stat_statements``, which counts the
statements each service runs per check-in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from services.runtime.devkeys import ensure_dev_keys
from services.runtime.settings import REPO_ROOT
from tools import ports
from tools.kafka import cluster as kafka_local
from tools.kafka import config as kafka_config
from tools.postgres import cluster as postgres_local
from tools.suite import Suite

SERVICES = ("checkin", "policy", "notify", "reporting")


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_block(start: int, span: int, kafka_layout: bool = False) -> int:
    """A base port ``p`` with ``p .. p+span-1`` free (and ``+1000`` too for Kafka's controller)."""
    offsets = (0, kafka_config.CONTROLLER_PORT_OFFSET) if kafka_layout else (0,)
    return ports.free_block(start, span, offsets)


@dataclass
class Infra:
    workdir: Path
    pg: postgres_local.LocalPostgres
    kafka: kafka_local.KafkaCluster
    private_key: Path
    jwks: Path
    databases: dict[str, str] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    def dsn(self, service: str) -> str:
        """asyncpg DSN of a service's database."""
        return self.databases[service].replace("postgresql+asyncpg", "postgresql")

    @property
    def admin_dsn(self) -> str:
        return self.pg.url("postgres").replace("postgresql+asyncpg", "postgresql")


@contextmanager
def infrastructure() -> Iterator[Infra]:
    """PostgreSQL and Kafka in a temporary directory; everything is removed on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="hadir-bench-"))
    workdir.chmod(0o755)  # the postgres user must reach the cluster directory below
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        say("starting PostgreSQL (throwaway cluster)")
        pg = postgres_local.start_throwaway(base_dir=workdir)
        stack.callback(pg.destroy)
        pg.psql("ALTER SYSTEM SET track_commit_timestamp = on;\n"
                "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';\n")
        pg.restart()
        pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;")
        say(f"starting Kafka {kafka_local.KAFKA_VERSION} (single node)")
        kafka = kafka_local.start(workdir / "kafka", nodes=1, port=free_block(23092, 1, kafka_layout=True))
        stack.callback(kafka.stop)
        private, jwks = ensure_dev_keys(workdir / "keys")
        infra = Infra(workdir, pg, kafka, private, jwks)
        for name in SERVICES:
            infra.databases[name] = pg.create_database(f"hadir_{name}")
        yield infra


def suite_env(infra: Infra) -> dict[str, str]:
    return {
        "HADIR_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
        "HADIR_JWT_JWKS_FILE": str(infra.jwks),
        "HADIR_NOTIFY_SECRET_KEYS": Fernet.generate_key().decode(),  # as production: a key of its own
        "HADIR_LOG_LEVEL": "WARNING",
        "HADIR_VAR_DIR": str(infra.workdir / "var"),
        "HADIR_REPORTING_SCAN_SECONDS": "1",
        "HADIR_REPORTING_SETTLE_SECONDS": "1",
        "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
        "HADIR_POLICY_SCHEDULER_SECONDS": "3600",
    }


@contextmanager
def running_suite(infra: Infra, log_dir: Path) -> Iterator[Suite]:
    base = free_block(24001, 4)
    for old in log_dir.glob("*.log"):  # the services append: keep only this run's logs
        old.unlink()
    suite = Suite(
        log_dir=log_dir,
        ports={name: base + i for i, name in enumerate(SERVICES)},
        env=suite_env(infra),
        service_env={name: {f"HADIR_{name.upper()}_DATABASE_URL": url} for name, url in infra.databases.items()},
    )
    say(f"starting the four services on ports {base}-{base + 3} (logs in {log_dir})")
    suite.start()
    try:
        took = suite.wait_ready(timeout=180)
        say(f"services ready in {took:.1f}s")
        yield suite
    finally:
        suite.stop()


@contextmanager
def trivial_server(port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The trivial endpoint as its own process, served like the services."""
    env = {**os.environ, "HADIR_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tools.bench.trivial"], cwd=REPO_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"trivial endpoint did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
