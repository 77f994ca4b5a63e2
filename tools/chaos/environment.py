"""The environment every scenario shares: a three-node Kafka cluster, one throwaway
PostgreSQL server with a database per service, and the four services as child processes.

Guarantee: :meth:`Environment.start` either returns everything running or has stopped
whatever it started (raising :class:`ChaosSetupError`); :meth:`Environment.heal` brings back
whatever a fault left down.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from services.runtime import devkeys
from tools import ports
from tools.chaos.parameters import SERVICES, SETTLE, say
from tools.kafka import cluster as kafka_local
from tools.kafka.cluster import KafkaCluster
from tools.postgres import cluster as postgres_local
from tools.postgres.cluster import LocalPostgres
from tools.suite import Suite


class ChaosSetupError(RuntimeError):
    """The environment (Kafka, PostgreSQL, the services) could not start."""


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
                    "HADIR_NOTIFY_SECRET_KEYS": Fernet.generate_key().decode(),  # as production: a key of its own
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
