"""A quiet first start: aiokafka's "Group Coordinator Request failed" records, made by aiokafka's
own coordinator lookup against a client that answers as a fresh broker does, are not errors
within the start-up grace, and are errors again after it; other error records stay errors.

The records go through the handler ``configure_logging`` installs (its JSON renderer), so the
assertions read the level a log reader sees."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import errors as kafka_errors
from aiokafka.consumer.group_coordinator import GroupCoordinator

from services.runtime import logging as runtime_logging

Configure = Callable[..., io.StringIO]


class FreshBroker:
    """A client whose group coordinator lookup fails ``failures`` times as a broker creating
    ``__consumer_offsets`` answers, then finds coordinator 1."""

    def __init__(self, failures: int, error: type[kafka_errors.KafkaError]) -> None:
        self.failures, self.error = failures, error

    async def coordinator_lookup(self, *_: Any) -> int:
        if self.failures:
            self.failures -= 1
            raise self.error()
        return 1

    async def force_metadata_update(self) -> bool:
        return True

    async def ready(self, *_: Any, **__: Any) -> bool:
        return True


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[float], io.StringIO]]:
    """configure_logging (with a start-up grace of the test's) writing to a buffer it returns."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("aiokafka").level

    def configure(grace: float = runtime_logging.START_UP_GRACE_S) -> io.StringIO:
        buffer = io.StringIO()
        monkeypatch.setattr(runtime_logging.sys, "stderr", buffer)
        runtime_logging.configure_logging("checkin", "INFO", json=True, start_up_grace=grace)
        return buffer

    try:
        yield configure
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("aiokafka").setLevel(saved[2])


def lookup_coordinator(broker: FreshBroker) -> None:
    """aiokafka's own GroupCoordinator.ensure_coordinator_known, on the least state it reads."""
    async def run() -> None:
        closing = asyncio.get_running_loop().create_future()
        state = SimpleNamespace(coordinator_id=None, _coordinator_lookup_lock=asyncio.Lock(), _retry_backoff_ms=0,
                                _closing=closing, _client=broker, group_id="hadir-reporting")
        await asyncio.wait_for(GroupCoordinator.ensure_coordinator_known(state), 5)  # type: ignore[arg-type]
        assert state.coordinator_id == 1
    asyncio.run(run())


def records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("error", runtime_logging.COORDINATOR_NOT_READY)
def test_a_coordinator_not_ready_at_start_up_is_not_an_error(configure: Configure, error: type) -> None:
    buffer = configure()
    lookup_coordinator(FreshBroker(25, error))
    assert [r for r in records(buffer) if r["level"] in ("error", "critical")] == []


def test_the_lowered_records_show_at_info_when_aiokafka_logs_info(configure: Configure) -> None:
    buffer = configure()
    logging.getLogger("aiokafka").setLevel(logging.INFO)
    lookup_coordinator(FreshBroker(2, kafka_errors.GroupCoordinatorNotAvailableError))
    failed = [r for r in records(buffer) if r["event"].startswith("Group Coordinator Request failed")]
    assert [r["level"] for r in failed] == ["info", "info"], failed
    assert failed[0]["logger"] == "aiokafka.consumer.group_coordinator"


def test_after_the_grace_a_missing_coordinator_is_an_error(configure: Configure) -> None:
    buffer = configure(0.0)
    lookup_coordinator(FreshBroker(3, kafka_errors.GroupCoordinatorNotAvailableError))
    failed = [r for r in records(buffer) if r["event"].startswith("Group Coordinator Request failed")]
    assert [r["level"] for r in failed] == ["error"] * 3
    assert "GroupCoordinatorNotAvailableError" in failed[0]["event"]


def test_other_errors_stay_errors_at_start_up(configure: Configure) -> None:
    """Another retriable lookup failure, aiokafka's other error lines and the services' own errors."""
    buffer = configure()
    lookup_coordinator(FreshBroker(1, kafka_errors.NodeNotReadyError))
    logging.getLogger("aiokafka.cluster").error("Topic %s is not authorized for this client", "hadir.checkin")
    logging.getLogger("services.checkin").error("relay failed: %s", kafka_errors.NotCoordinatorError())
    levels = [(r["logger"], r["level"]) for r in records(buffer)]
    assert levels == [("aiokafka.consumer.group_coordinator", "error"), ("aiokafka.cluster", "error"),
                      ("services.checkin", "error")]


def test_the_grace_ends_on_the_filters_clock() -> None:
    now = [1000.0]
    conditions = runtime_logging.StartUpConditions(grace=30, clock=lambda: now[0])

    def level_after(seconds: float) -> str:
        now[0] = 1000.0 + seconds
        record = logging.LogRecord("aiokafka.consumer.group_coordinator", logging.ERROR, __file__, 1,
                                   "Group Coordinator Request failed: %s", (kafka_errors.NotCoordinatorError(),), None)
        conditions.filter(record)
        return record.levelname

    assert [level_after(s) for s in (0, 29.9, 30, 600)] == ["INFO", "INFO", "ERROR", "ERROR"]
