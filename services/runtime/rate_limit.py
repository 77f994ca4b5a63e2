"""Token buckets by key (a principal, a client address), in process memory.

Guarantee: a key is allowed at most ``burst`` requests at once and ``per_second`` requests a
second over time; a refused request is told how long to wait (whole seconds, at least one).
Bounded: at most ``size`` keys are remembered, the least recently used go first (a forgotten
key starts again with a full bucket). ``per_second <= 0`` turns the limit off. Time comes
from ``clock`` (monotonic seconds), which a test may replace.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from services.runtime.lru import LRU

KEYS = 50_000  # buckets remembered per limiter (a key and two floats each)


class RateLimiter:
    def __init__(self, per_second: float, burst: int, size: int = KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: LRU[str, tuple[float, float]] = LRU(size)  # key -> (tokens, when counted)

    def take(self, key: str) -> int:
        """Spend one request of ``key``: 0 when allowed, else the seconds to wait (nothing spent)."""
        if self.per_second <= 0:
            return 0
        now = self.clock()
        tokens, then = self._buckets.get(key) or (float(self.burst), now)
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
        if tokens < 1:
            self._buckets.put(key, (tokens, now))
            return max(1, math.ceil((1 - tokens) / self.per_second))
        self._buckets.put(key, (tokens - 1, now))
        return 0
