"""The four services as processes for tests: one place for the environment that makes
them quick to observe (short polls, a short settle delay, no due-soon reminders)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support import infra
from tools.suite import PORTS, Suite

SERVICES = tuple(PORTS)

QUICK_ENV = {
    "HADIR_LOG_LEVEL": "INFO",
    "HADIR_OUTBOX_POLL_SECONDS": "0.2",
    "HADIR_REPORTING_SCAN_SECONDS": "0.5",
    "HADIR_REPORTING_SETTLE_SECONDS": "1",
    "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
}


async def databases(server: infra.PostgresServer, prefix: str, names: tuple[str, ...] = SERVICES) -> dict[str, str]:
    """A fresh database per service; returns their URLs."""
    return {name: await server.create_database(f"{prefix}_{name}") for name in names}


def build(*, log_dir: Path, kafka: str, jwks: Path, database_urls: Mapping[str, str], first_port: int,
          env: Mapping[str, str] | None = None, names: tuple[str, ...] = SERVICES,
          ports: Mapping[str, int] | None = None) -> Suite:
    """A Suite on the given Kafka and databases (not started). Ports come from a free block
    from ``first_port`` unless given."""
    if ports is None:
        base = infra.free_port_block(first_port, span=len(names))
        ports = {name: base + i for i, name in enumerate(names)}
    return Suite(
        log_dir=log_dir,
        names=names,
        ports=dict(ports),
        env={"HADIR_KAFKA_BOOTSTRAP_SERVERS": kafka, "HADIR_JWT_JWKS_FILE": str(jwks), **QUICK_ENV, **(env or {})},
        service_env={name: {f"HADIR_{name.upper()}_DATABASE_URL": database_urls[name]} for name in names},
    )


@contextmanager
def running(suite: Suite, timeout: float = 180) -> Iterator[Suite]:
    """Start the suite, wait until every service is ready, stop it afterwards."""
    suite.start()
    try:
        suite.wait_ready(timeout=timeout)
        yield suite
    finally:
        suite.stop()


@contextmanager
def started(kafka: str, database_urls: Mapping[str, str], dev_keys: tuple[Path, Path], log_dir: Path, *,
            first_port: int, timeout: float = 180, **options: Any) -> Iterator[Suite]:
    """The suite :func:`build` makes (``options`` are its keywords), running until the block ends:
    what a test module's suite fixture yields."""
    with running(build(log_dir=log_dir, kafka=kafka, jwks=dev_keys[1], database_urls=database_urls,
                       first_port=first_port, **options), timeout=timeout) as suite:
        yield suite
