"""Token buckets of services.runtime.rate_limit on a clock of the test's."""

from __future__ import annotations

from services.runtime.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_its_rate_and_is_told_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=0.25, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 4]
    assert limiter.take("b") == 0, "another key has a bucket of its own"
    clock.now += 3.9
    assert limiter.take("a") == 1, "a refused request spends nothing; the wait shrinks with time"
    clock.now += 0.1
    assert (limiter.take("a"), limiter.take("a")) == (0, 4)
    clock.now += 1000
    assert [limiter.take("a") for _ in range(4)] == [0, 0, 0, 4], "refilled up to the burst, not beyond"


def test_buckets_are_bounded_and_a_zero_rate_is_no_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=1, burst=1, size=2, clock=clock)
    assert (limiter.take("a"), limiter.take("b"), limiter.take("c")) == (0, 0, 0)
    assert limiter.take("a") == 0, "a was forgotten (least recently used): a full bucket again"
    assert limiter.take("c") == 1
    off = RateLimiter(per_second=0, burst=1, clock=clock)
    assert {off.take("a") for _ in range(100)} == {0}
