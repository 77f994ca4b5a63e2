"""W3C trace context: the ``traceparent`` that travels from the HTTP request through
every event (as a CloudEvents extension header) to the notification, and into the
JSON logs as ``trace_id``."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

import structlog

_random = random.Random()  # seeded from the system once; ids need to be unique, not secret

_current: ContextVar[str | None] = ContextVar("traceparent", default=None)
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent() -> str:
    # W3C trace context asks for random ids, not secret ones: no system call per request.
    return f"00-{_random.getrandbits(128) or 1:032x}-{_random.getrandbits(64) or 1:016x}-01"


def parse(traceparent: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid header, else None."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        return None
    return match.group(1), match.group(2)


def child_of(traceparent: str | None) -> str:
    """A new span in the same trace (or a new trace when the header is absent or invalid)."""
    parsed = parse(traceparent)
    if parsed is None:
        return new_traceparent()
    return f"00-{parsed[0]}-{_random.getrandbits(64) or 1:016x}-01"


def trace_id(traceparent: str | None) -> str | None:
    parsed = parse(traceparent)
    return parsed[0] if parsed else None


def bind(traceparent: str | None, **extra: str) -> None:
    """Make ``traceparent`` the current one (events staged from here carry it) and put
    the trace id (and e.g. the CloudEvents id) into every log line of this context."""
    _current.set(traceparent)
    structlog.contextvars.bind_contextvars(trace_id=trace_id(traceparent), **extra)


def current() -> str | None:
    """The traceparent of the request or event being handled, if any."""
    return _current.get()
