"""Supervision of a long-running command (``hadir run``, ``hadir services``).

Guarantee: :class:`Supervisor` stops everything a command registered, newest first, on every way
out — Ctrl-C (SIGINT), SIGTERM, an error or a crashed service — and each stop is bounded, so the
command always ends; a :class:`RunError` is printed as one line, without a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType

import httpx


class RunError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


class Console:
    """Progress lines with the seconds elapsed since the command started."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        print(f"[{self.elapsed():5.1f}s] {message}", flush=True)


# -------------------------------------------------------------------- supervision


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Supervisor:
    """Runs a command body; on the way out stops what it started, newest first."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def on_exit(self, what: str, stop: Callable[[], None]) -> None:
        self._stops.append((what, stop))

    def run(self, body: Callable[[], int]) -> int:
        # Ctrl-C and SIGTERM take the same path, also where SIGINT was inherited as ignored (`cmd &`).
        previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        code = 1
        try:
            code = body()
        except KeyboardInterrupt:
            print(flush=True)
            self.console.say("stopping / menghentikan ...")
            code = 0
        except (RuntimeError, ValueError, TimeoutError, OSError, httpx.HTTPError) as exc:
            self.console.say(f"error: {exc}" if isinstance(exc, RuntimeError) else f"error: {exc!r}")
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code

    def _stop_all(self) -> None:
        """Stop in reverse order; further Ctrl-C/SIGTERM are ignored until done (each step is bounded)."""
        handlers = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while self._stops:
                what, stop = self._stops.pop()
                started = time.monotonic()
                try:
                    stop()
                except Exception as exc:  # noqa: BLE001 — keep stopping the rest
                    self.console.say(f"could not stop {what}: {exc!r}")
                else:
                    self.console.say(f"stopped {what} ({time.monotonic() - started:.1f}s)")
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)


@contextlib.contextmanager
def unbuffered() -> Iterator[None]:
    """Line-buffered stdout, so progress shows up at once also when piped (``make run | tee``)."""
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    yield
