"""The four services as real processes on real Kafka and PostgreSQL (the session's broker
and server; ``tokens`` and ``http`` come from tests/conftest.py)."""

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
def suite(kafka_bootstrap: str, suite_databases: dict[str, str], dev_keys: tuple[Path, Path],
          artifacts_dir: Path) -> Iterator[Suite]:
    with suites.started(kafka_bootstrap, suite_databases, dev_keys, artifacts_dir / "e2e-logs", first_port=18001,
                        timeout=120) as started:
        yield started
