"""Retry schedule: exponential backoff with jitter, bounded by a horizon. Pure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): ``base * 2^(attempt-1)``
    capped at ``cap``, then spread over its upper half ("equal jitter") so that instances
    retrying the same receiver do not stampede."""
    r = (rng or random).random()
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + ceiling / 2 * r


def next_attempt(now: datetime, attempt: int, *, base: float, cap: float, first_attempt_at: datetime,
                 horizon: float, retry_after: float | None = None,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again, or None when that would be past the horizon (the row is dead)."""
    delay = backoff(attempt, base, cap, rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    when = now + timedelta(seconds=delay)
    if when > first_attempt_at + timedelta(seconds=horizon):
        return None
    return when
