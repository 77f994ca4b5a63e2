"""The idle wait of a background loop (the outbox relay, notify's delivery loop): it sleeps
until the next poll or until new work rings, whichever comes first.

Guarantee: a cancellation (the service stopping) that arrives while the loop waits always
ends the loop, even in the same step as a ring. ``asyncio.wait_for`` on Python 3.11 loses
such a cancellation when the awaited event is set at that moment, and the loop would run
on after its service's stop; :func:`asyncio.timeout` does not.
"""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """``ring()`` from the code that made new work; ``await sleep(seconds)`` in the loop."""

    def __init__(self) -> None:
        self._rung = asyncio.Event()

    def ring(self) -> None:
        self._rung.set()

    async def sleep(self, seconds: float) -> None:
        """Return after ``seconds`` or as soon as rung (also if rung since the last sleep)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._rung.wait()
        self._rung.clear()
