"""Ending the tasks a test session leaves on its event loop, within a bound.

When the session's event loop closes, asyncio cancels every task still pending once and
then waits for all of them with no time limit. A task that catches that one cancellation
and goes on waiting (an aiokafka client of an in-process service, retrying a broker that
a test has stopped) hangs the run at the teardown of whichever test happens to be last.
:func:`end_leftovers` cancels again and again until each task has ended, for at most
``seconds``, and names what still runs then.
"""

from __future__ import annotations

import asyncio
import time


def describe(task: asyncio.Task[object]) -> str:
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None)
    where = f" at {frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else ""
    return f"{task.get_name()} ({getattr(coro, '__qualname__', coro)}{where})"


async def end_leftovers(seconds: float = 20.0, interval: float = 0.5) -> list[str]:
    """Cancel every other pending task of the running loop until all have ended or
    ``seconds`` have passed. Returns a description of each task that was left over."""
    current = asyncio.current_task()
    deadline = time.monotonic() + seconds
    seen: dict[asyncio.Task[object], str] = {}
    while True:
        left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in left:
            seen.setdefault(task, describe(task))
        if not left or time.monotonic() > deadline:
            return [text + ("" if task.done() else " — still running") for task, text in seen.items()]
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=interval)
