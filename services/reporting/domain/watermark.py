"""The pipeline's watermark and whether a window may close (pure).

Reporting keeps the latest mark per (partition of ``checkin.evaluated``, partition of
``checkin.received`` it forwards) — :mod:`services.contracts.marks`. Every verdict on a
check-in accepted up to the lowest ``accepted_until`` over *all* those pairs has been
projected; until every pair has been seen the watermark is unknown.

A window closes once its deadline plus the settle time has passed and the watermark has
passed the deadline (every check-in accepted before the deadline is in), or — the pipeline
stalled — once the maximum hold after that has passed too, which is a *forced* closure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Mark:
    partition: int
    partitions: int
    source_partition: int
    source_partitions: int
    accepted_until: datetime


def watermark(marks: Iterable[Mark]) -> datetime | None:
    """The lowest ``accepted_until`` once every (partition, source partition) pair has a mark."""
    marks = list(marks)
    if not marks:
        return None
    partitions = max(m.partitions for m in marks)
    sources = max(m.source_partitions for m in marks)
    latest = {(m.partition, m.source_partition): m.accepted_until for m in marks
              if m.partition < partitions and m.source_partition < sources}
    if len(latest) < partitions * sources:
        return None
    return min(latest.values())


@dataclass(frozen=True)
class Closure:
    due: bool
    forced: bool = False


def closure(deadline: datetime, now: datetime, mark: datetime | None, *, settle: timedelta,
            max_hold: timedelta) -> Closure:
    """Whether a window with ``deadline`` closes at ``now`` given the watermark ``mark``."""
    if now < deadline + settle:
        return Closure(due=False)
    if mark is not None and mark >= deadline:
        return Closure(due=True)
    return Closure(due=True, forced=True) if now >= deadline + settle + max_hold else Closure(due=False)
