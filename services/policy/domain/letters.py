"""Versions of a circular letter (Surat Edaran) over time, as pure rules.

A letter is never overwritten: an amendment or an extension is a new version.

- **Taking effect.** A version takes effect at local midnight of its
  ``valid_from`` (tenant zone), or when it is issued if that day has come already:
  ``effective_at = max(issued_at, midnight of valid_from)``. ``policy.updated``
  is published at that moment, not before.
- **Order.** A new version may not start before the version it follows:
  ``new.valid_from >= previous.valid_from``.
- **Closing.** A new version closes the previous one the day before it starts:
  ``previous.valid_until = min(previous.valid_until, new.valid_from - 1 day)``.
  The end the previous version was signed with stays in ``declared_valid_until``;
  ``superseded_at`` records when the closing took effect (the new version's
  ``effective_at``). A version replaced before its first day ends before it
  starts: it is *void* and never takes effect.
- **In force at an instant.** Which version applies to a local ``day``, *as known
  at* instant ``at`` (e.g. a check-in's capture time): among the versions that had
  taken effect by ``at`` (``effective_at <= at``) and whose range *as it stood at
  that instant* covers ``day`` (the declared end if the closing had not yet taken
  effect, the closed end otherwise), the one that took effect last (ties: the
  higher version). So a check-in captured under version 1 is judged under version
  1 even when it is processed after version 2 took effect and closed version 1.
- **Planned.** :func:`planned` answers the same question with everything known
  now, future versions included (the final, closed ranges): rosters for next
  month follow the letter that will be in force then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

_DAY = timedelta(days=1)


class VersionLike(Protocol):
    version: int
    valid_from: date
    valid_until: date | None
    declared_valid_until: date | None
    effective_at: datetime
    superseded_at: datetime | None


V = TypeVar("V", bound=VersionLike)


def local_midnight(day: date, tz: str) -> datetime:
    """The instant (UTC) at which ``day`` begins in zone ``tz``."""
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


def effective_at(valid_from: date, tz: str, issued_at: datetime) -> datetime:
    """When a version issued at ``issued_at`` takes effect."""
    return max(issued_at.astimezone(UTC), local_midnight(valid_from, tz))


def closed_until(previous_until: date | None, new_from: date) -> date:
    """The previous version's end once a version starting ``new_from`` follows it."""
    day_before = new_from - _DAY
    return day_before if previous_until is None else min(previous_until, day_before)


def is_void(v: VersionLike) -> bool:
    """Replaced before its first day: never in force."""
    return v.valid_until is not None and v.valid_until < v.valid_from


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def until_as_known_at(v: VersionLike, at: datetime) -> date | None:
    """The version's end as it stood at instant ``at``."""
    if v.superseded_at is not None and _aware(v.superseded_at) <= at:
        return v.valid_until
    return v.declared_valid_until


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


def _newest(candidates: Iterable[V]) -> V | None:
    return max(candidates, key=lambda v: (_aware(v.effective_at), v.version), default=None)


def in_force(versions: Iterable[V], day: date, at: datetime) -> V | None:
    """The version that applied to local ``day`` as known at instant ``at`` (module docstring)."""
    at = _aware(at)
    return _newest(
        v for v in versions
        if _aware(v.effective_at) <= at and _covers(v.valid_from, until_as_known_at(v, at), day)
    )


def planned(versions: Iterable[V], day: date) -> V | None:
    """The version that applies to ``day`` with everything known now, future versions included."""
    return _newest(v for v in versions if not is_void(v) and _covers(v.valid_from, v.valid_until, day))


def earliest_covering(versions: Iterable[V], day: date) -> V | None:
    """The first version to take effect whose final range covers ``day`` (fallback for
    a check-in captured before any version took effect)."""
    covering = [v for v in versions if not is_void(v) and _covers(v.valid_from, v.valid_until, day)]
    return min(covering, key=lambda v: (_aware(v.effective_at), v.version), default=None)
