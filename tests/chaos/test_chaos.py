"""Fault scenarios of ``tools.chaos`` as tests: each fault strikes in the middle
of a stream of check-ins and must lose and duplicate nothing (check-ins, verdicts,
notifications). One environment (three Kafka brokers, PostgreSQL, the four services)
serves them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.conftest import RESULTS
from tests.support import infra
from tools import chaos

pytestmark = [pytest.mark.chaos, pytest.mark.infra]


@pytest.fixture(scope="module")
def environment(artifacts_dir: Path) -> Iterator[chaos.Environment]:
    try:
        env = chaos.Environment.start(artifacts_dir / "chaos-logs")
    except chaos.ChaosSetupError as exc:
        infra.unavailable("chaos environment (three-node Kafka, PostgreSQL, services)", str(exc))
    try:
        yield env
    finally:
        env.stop()


@pytest.mark.parametrize("fault", chaos.FAULTS)
def test_fault_loses_and_duplicates_nothing(environment: chaos.Environment, fault: str) -> None:
    result = chaos.run_fault(environment, fault)
    RESULTS.append(result)
    print(result.line())
    assert not result.errors, result.explain()
    assert result.accepted == result.sent, result.explain()
    assert (result.lost, result.duplicates) == (0, 0), result.explain()
    assert result.counted == result.accepted, result.explain()
