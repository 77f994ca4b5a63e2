"""The idle wait of the background loops (:mod:`services.runtime.wakeup`): a ring cuts it short,
a ring is never lost, and a stop that arrives together with a ring still stops the loop."""

from __future__ import annotations

import asyncio

import pytest

from services.runtime.wakeup import Wakeup


def loop_of(wakeup: Wakeup, rounds: list[int], poll_seconds: float = 60) -> asyncio.Task[None]:
    """A background loop as the outbox relay and notify's delivery run it: a round, then sleep."""
    async def run() -> None:
        while True:
            rounds.append(len(rounds) + 1)
            await wakeup.sleep(poll_seconds)

    return asyncio.create_task(run())


async def test_a_stop_arriving_with_a_ring_ends_the_loop() -> None:
    wakeup, rounds = Wakeup(), []
    task = loop_of(wakeup, rounds)
    await asyncio.sleep(0)  # the loop did its round and sleeps
    wakeup.ring()
    task.cancel()  # the service stops in the same step (asyncio.wait_for on 3.11 lost this)
    done, _ = await asyncio.wait([task], timeout=5)
    assert task in done and task.cancelled(), f"loop still running after its stop (rounds {rounds})"


async def test_a_ring_wakes_the_sleeping_loop_before_its_poll() -> None:
    wakeup, rounds = Wakeup(), []
    task = loop_of(wakeup, rounds)
    await asyncio.sleep(0)
    assert rounds == [1]
    wakeup.ring()
    for _ in range(10):
        await asyncio.sleep(0)
    task.cancel()
    assert rounds == [1, 2]


async def test_a_ring_before_the_sleep_is_not_lost() -> None:
    wakeup = Wakeup()
    wakeup.ring()
    async with asyncio.timeout(5):
        await wakeup.sleep(60)  # returns at once: the work rung while the loop was busy


async def test_without_a_ring_the_sleep_ends_at_the_poll() -> None:
    wakeup = Wakeup()
    async with asyncio.timeout(5):
        await wakeup.sleep(0.05)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await wakeup.sleep(60)
