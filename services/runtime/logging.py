"""JSON logs with structlog, for every service process.

Expected start-up conditions are not errors: while a fresh broker creates ``__consumer_offsets``
aiokafka logs each failed group coordinator lookup at ERROR (about 25 per service on a first
``hadir run``). :class:`StartUpConditions` lowers those, and only those, during the first
:data:`START_UP_GRACE_S` seconds of the process; after it they are errors again."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog
from aiokafka import errors as kafka_errors

START_UP_GRACE_S = 120.0
# Retriable answers of a broker whose group coordinator is not ready yet (aiokafka retries them).
COORDINATOR_NOT_READY: tuple[type[BaseException], ...] = (
    kafka_errors.CoordinatorNotAvailableError,  # GroupCoordinatorNotAvailableError: offsets topic being made
    kafka_errors.NotCoordinatorError,  # the coordinator moved or is not elected yet
    kafka_errors.CoordinatorLoadInProgressError,  # the coordinator is loading the group's offsets
)


class StartUpConditions(logging.Filter):
    """A handler filter: an ``aiokafka.*`` record at ERROR or above whose arguments or exception
    carry a :data:`COORDINATOR_NOT_READY` error, logged within ``grace`` seconds of the filter's
    creation, is lowered to INFO (and then shown only if INFO is enabled for its logger: by
    default aiokafka logs from WARNING). Every other record passes unchanged, and so do these
    once the grace is over: a coordinator that stays unavailable is an error."""

    def __init__(self, grace: float = START_UP_GRACE_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._until = clock() + grace

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or not record.name.startswith("aiokafka"):
            return True
        if not _coordinator_not_ready(record) or self._clock() >= self._until:
            return True
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def _coordinator_not_ready(record: logging.LogRecord) -> bool:
    args = record.args.values() if isinstance(record.args, dict) else (record.args or ())
    raised = record.exc_info[1] if record.exc_info else None
    return any(isinstance(value, COORDINATOR_NOT_READY) for value in (*args, raised))


def configure_logging(service: str, level: str = "INFO", json: bool = True,
                      start_up_grace: float = START_UP_GRACE_S) -> None:
    """Route stdlib and structlog records through one JSON (or console) renderer; for
    ``start_up_grace`` seconds from now, expected start-up conditions are not errors."""
    def add_service(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    handler.addFilter(StartUpConditions(start_up_grace))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
