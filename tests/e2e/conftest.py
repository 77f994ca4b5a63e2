"""The four services as real processes on real Kafka and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.devtools.suite import Suite
from tests.support import infra
from tests.support.tokens import Tokens

SERVICES = ("checkin", "policy", "notify", "reporting")


@pytest.fixture(scope="session")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture(scope="session")
async def suite_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return {name: await postgres_server.create_database(f"hadir_{name}") for name in SERVICES}


@pytest.fixture(scope="session")
def suite(kafka_bootstrap: str, suite_databases: dict[str, str], dev_keys: tuple[Path, Path],
          artifacts_dir: Path) -> Iterator[Suite]:
    base = infra.free_port_block(18001, span=4)
    suite = Suite(
        log_dir=artifacts_dir / "e2e-logs",
        ports={name: base + i for i, name in enumerate(SERVICES)},
        env={
            "HADIR_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "HADIR_JWT_JWKS_FILE": str(dev_keys[1]),
            "HADIR_LOG_LEVEL": "INFO",
            "HADIR_OUTBOX_POLL_SECONDS": "0.2",
            "HADIR_REPORTING_SCAN_SECONDS": "0.5",
            "HADIR_REPORTING_SETTLE_SECONDS": "1",
            "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
        },
        service_env={name: {f"HADIR_{name.upper()}_DATABASE_URL": url} for name, url in suite_databases.items()},
    )
    suite.start()
    try:
        suite.wait_ready(timeout=120)
        yield suite
    finally:
        suite.stop()


@pytest.fixture
async def http() -> AsyncIterator[object]:
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        yield client
