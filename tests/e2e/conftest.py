"""The four services as real processes on real Kafka and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support import infra, suites
from tests.support.tokens import Tokens
from tools.suite import Suite


@pytest.fixture(scope="session")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture(scope="session")
async def suite_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return await suites.databases(postgres_server, "hadir")


@pytest.fixture(scope="session")
def suite(kafka_bootstrap: str, suite_databases: dict[str, str], dev_keys: tuple[Path, Path],
          artifacts_dir: Path) -> Iterator[Suite]:
    with suites.running(suites.build(log_dir=artifacts_dir / "e2e-logs", kafka=kafka_bootstrap, jwks=dev_keys[1],
                                     database_urls=suite_databases, first_port=18001), timeout=120) as started:
        yield started


@pytest.fixture
async def http() -> AsyncIterator[object]:
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        yield client
