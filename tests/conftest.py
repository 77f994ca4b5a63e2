"""Session-wide real infrastructure and development credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.runtime import devkeys
from tests.support import infra


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[infra.PostgresServer]:
    with infra.postgres() as server:
        yield server


@pytest.fixture
async def pg_url(postgres_server: infra.PostgresServer) -> AsyncIterator[str]:
    yield await postgres_server.create_database()


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(private key, JWKS) for signing and checking test tokens."""
    return devkeys.ensure_dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
