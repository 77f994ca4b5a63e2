"""The session's last defence against a hang: tasks left on the loop end within a bound."""

from __future__ import annotations

import asyncio

from tests.support import tasks


def test_a_task_that_swallows_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    async def scenario() -> tuple[list[str], asyncio.Task[None]]:
        async def stubborn() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:  # one cancellation caught, as a retrying client does
                await asyncio.sleep(3600)

        task = asyncio.create_task(stubborn(), name="stubborn")
        await asyncio.sleep(0)
        return await tasks.end_leftovers(seconds=5, interval=0.05), task

    left, task = asyncio.run(scenario())
    assert task.cancelled()
    assert len(left) == 1 and left[0].startswith("stubborn (") and "still running" not in left[0]


def test_a_task_that_never_ends_is_named_once_the_bound_has_passed() -> None:
    async def scenario() -> list[str]:
        async def immortal() -> None:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    continue

        task = asyncio.create_task(immortal(), name="immortal")
        await asyncio.sleep(0)
        left = await tasks.end_leftovers(seconds=0.3, interval=0.05)
        task.get_coro().close()  # let asyncio.run close its loop
        return left

    [left] = asyncio.run(scenario())
    assert left.startswith("immortal (") and left.endswith("still running")
