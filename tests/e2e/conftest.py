"""The four services as real processes on real Kafka and PostgreSQL (a broker of their own,
the session's PostgreSQL server; ``tokens`` and ``http`` come from tests/conftest.py).

Their own broker, because services other test packages run in-process on the session broker
(a policy evaluator under its own group, for one) would also judge this suite's check-ins
against their own, empty databases and publish a second verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import infra, suites
from tools.suite import Suite


@pytest.fixture(scope="session")
async def suite_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return await suites.databases(postgres_server, "hadir")


@pytest.fixture(scope="session")
def e2e_kafka() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def suite(e2e_kafka: str, suite_databases: dict[str, str], dev_keys: tuple[Path, Path],
          artifacts_dir: Path) -> Iterator[Suite]:
    with suites.started(e2e_kafka, suite_databases, dev_keys, artifacts_dir / "e2e-logs", first_port=18001,
                        timeout=120) as started:
        yield started
