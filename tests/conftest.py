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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Tests run shuffled (pytest-randomly); ``-q`` hides its header, so say how to replay the order."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(f"random order seed {seed}: replay with -p randomly --randomly-seed={seed}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a defect (make test installs what tests need): any skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"{skipped} test(s) skipped — failing the run", red=True)
        session.exitstatus = 1
