"""Real infrastructure for tests, chosen in this order:

1. URLs from the environment: ``HADIR_TEST_KAFKA_BOOTSTRAP`` and ``HADIR_TEST_DATABASE_URL``
   (a SQLAlchemy URL of a PostgreSQL server whose user may create databases);
2. testcontainers, when a Docker engine answers (Kafka in KRaft mode, a pinned Postgres image);
3. the local scripts: Kafka from Maven Central jars, a throwaway Debian PostgreSQL cluster.

An unavailable piece fails the run, with or without ``CI=true``: ``make test`` installs what is
missing first (``.ci/setup``), so a missing piece is a set-up fault to fix, never a reason to skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tools import ports

POSTGRES_IMAGE = "postgres:16.4-alpine"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.7.1"


def unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable: {why}"
    pytest.fail(f"{message} (run `make setup` or `.ci/setup --check` to see what is missing)", pytrace=False)


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 — any failure means no engine
        return False


def free_port_block(start: int, span: int = 1) -> int:
    """A port ``p`` such that p .. p+span-1 and p+1000 .. are free (local Kafka layout)."""
    return ports.free_block(start, span, offsets=(0, 1000))


@contextmanager
def kafka(attempts: int = 3) -> Iterator[str]:
    """Yield bootstrap servers of a real Kafka broker.

    A local broker is tried ``attempts`` times: on a shared machine another process can
    take its free ports between the choice and the start."""
    given = os.environ.get("HADIR_TEST_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    from tools.kafka import cluster as kafka_local

    with tempfile.TemporaryDirectory(prefix="hadir-test-kafka-") as tmp:
        for attempt in range(1, attempts + 1):
            try:
                cluster = kafka_local.start(Path(tmp) / f"try-{attempt}", nodes=1, port=free_port_block(21092))
                break
            except Exception as exc:  # noqa: BLE001
                if attempt == attempts:
                    unavailable("Kafka", f"local broker did not start after {attempts} attempts: {exc}")
        try:
            yield cluster.bootstrap
        finally:
            cluster.stop()


@contextmanager
def postgres() -> Iterator[PostgresServer]:
    """Yield a PostgreSQL server on which test databases can be created."""
    given = os.environ.get("HADIR_TEST_DATABASE_URL")
    if given:
        yield PostgresServer(given)
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver="asyncpg") as container:
            yield PostgresServer(container.get_connection_url())
        return
    from tools.postgres import cluster as postgres_local

    try:
        server = postgres_local.start_throwaway()
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL", f"local cluster did not start: {exc}")
    try:
        yield PostgresServer(server.url("postgres"), local=server)
    finally:
        server.destroy()


class PostgresServer:
    def __init__(self, admin_url: str, local: object | None = None) -> None:
        self.admin_url = admin_url
        self.local = local
        self._count = 0

    def url_for(self, database: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{database}"

    async def create_database(self, prefix: str = "hadir") -> str:
        """A fresh, uniquely named database; returns its SQLAlchemy URL."""
        import asyncpg

        self._count += 1
        name = f"{prefix}_{os.getpid()}_{self._count}"
        conn = await asyncpg.connect(self.admin_url.replace("+asyncpg", ""))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url_for(name)
