"""The fault suite (``make chaos``): slow, so ``make test`` leaves it out with ``-m "not chaos"``."""

from __future__ import annotations

import pytest

from tools.chaos import Result

RESULTS: list[Result] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos: fault injection on a three-broker Kafka cluster (slow; run with -m chaos)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.section("chaos")
        for result in RESULTS:
            terminalreporter.write_line(result.line())
            terminalreporter.write_line(result.explain())
