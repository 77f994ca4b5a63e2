"""Session-wide real infrastructure and development credentials."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.runtime import devkeys
from tests.support import infra, suites, tasks
from tests.support.tokens import Tokens

LEFTOVER_TASKS: list[str] = []
# The tests are development: a service built without HADIR_JWT_JWKS_FILE uses the development keys
# (tests/runtime/test_settings.py checks that nothing else does).
os.environ.setdefault("HADIR_ENVIRONMENT", "development")


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


@pytest.fixture(scope="session")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # No idle connections kept: a service closes one after its keep-alive (5 s), and a request
    # sent on it at that moment fails with "Server disconnected" on a busy machine.
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        yield client


@pytest.fixture(scope="module")
def module_kafka() -> Iterator[str]:
    """A broker of the test module's own, for modules that start the four services: the
    services other modules start stay subscribed to the session broker under the same
    consumer-group names until the session ends, and would take a share of this module's events."""
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
async def module_databases(postgres_server: infra.PostgresServer, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh database per service for the test module (named after it)."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return await suites.databases(postgres_server, f"hadir_{module[:20]}")


@pytest.fixture(scope="session", autouse=True)
async def _tasks_end_with_the_session() -> AsyncIterator[None]:
    """Set up before, so torn down after, every other session fixture on the session's loop:
    what they leave running is ended here within a bound (:mod:`tests.support.tasks`) rather
    than hanging the loop's close, and named at the end of the run."""
    yield
    LEFTOVER_TASKS.extend(await tasks.end_leftovers())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Tests run shuffled (pytest-randomly); ``-q`` hides its header, so say how to replay the order."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(f"random order seed {seed}: replay with -p randomly --randomly-seed={seed}")
    if LEFTOVER_TASKS:
        terminalreporter.write_line(f"{len(LEFTOVER_TASKS)} task(s) outlived their tests and were cancelled at "
                                    "the end of the session:", yellow=True)
        for text in LEFTOVER_TASKS:
            terminalreporter.write_line(f"  {text}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a defect (make test installs what tests need): any skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"{skipped} test(s) skipped — failing the run", red=True)
        session.exitstatus = 1
