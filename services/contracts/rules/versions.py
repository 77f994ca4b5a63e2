"""Which version of a circular letter applies to a local day.

A letter is never overwritten: an amendment or an extension is a new version with
its own ``valid_from``/``valid_until`` (local days, the end inclusive or open) and
the instant it took effect (``effective_at``). A version *covers* a day inside its
range; a version whose range ends before it starts (replaced before its first
day, *void*) covers nothing.

- **For a day** (:func:`for_day`): with everything known now, the covering version
  that took effect last (ties: the higher number). Reports, the window scheduler,
  rosters and the "planned" view use this.
- **As known at an instant** (:func:`in_force`): among the versions that had taken
  effect by ``at``, the covering one that took effect last. Ranges are those *as
  they stood at* ``at``: a store that records when a version was closed by the
  next one passes :func:`until_as_known_at`; read models that keep the range as
  published use it as is. So a check-in captured under version 1 is judged, and
  its late-submission limit chosen, under version 1 even after version 2 closed it.
- **At capture** (:func:`at_capture`): :func:`in_force` at the capture time, else
  (a check-in older than every version) the first version to take effect that
  covers the day (:func:`earliest_covering`). The policy service's verdict and the
  check-in service's late-submission limit both use it.

Naive datetimes (SQLite drops the offset) count as UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar


class Dated(Protocol):
    """What any service keeps of a version: its number, range and moment of effect."""

    @property
    def version(self) -> int: ...
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_until(self) -> date | None: ...
    @property
    def effective_at(self) -> datetime: ...


class Superseding(Dated, Protocol):
    """A version as its owner stores it: the end it was signed with and when a
    later version closed it."""

    @property
    def declared_valid_until(self) -> date | None: ...
    @property
    def superseded_at(self) -> datetime | None: ...


V = TypeVar("V", bound=Dated)


def aware(instant: datetime) -> datetime:
    """An aware datetime; naive values are UTC by construction."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def covers(valid_from: date, valid_until: date | None, day: date) -> bool:
    """Whether the range ``valid_from..valid_until`` (inclusive, open when None) holds ``day``."""
    return valid_from <= day and (valid_until is None or day <= valid_until)


def as_published(v: Dated, at: datetime) -> date | None:
    """The range's end as the version carries it (whatever ``at``)."""
    return v.valid_until


def until_as_known_at(v: Superseding, at: datetime) -> date | None:
    """The version's end as it stood at instant ``at``: the closed end once the
    closing had taken effect, the declared end before."""
    if v.superseded_at is not None and aware(v.superseded_at) <= aware(at):
        return v.valid_until
    return v.declared_valid_until


def _order(v: Dated) -> tuple[datetime, int]:
    return aware(v.effective_at), v.version


def for_day(versions: Iterable[V], day: date) -> V | None:
    """The version that applies to ``day`` with everything known now (module docstring)."""
    return max((v for v in versions if covers(v.valid_from, v.valid_until, day)), key=_order, default=None)


def in_force(versions: Iterable[V], day: date, at: datetime,
             end: Callable[[V, datetime], date | None] = as_published) -> V | None:
    """The version that applied to ``day`` as known at instant ``at`` (module docstring)."""
    at = aware(at)
    return max((v for v in versions if aware(v.effective_at) <= at and covers(v.valid_from, end(v, at), day)),
               key=_order, default=None)


def earliest_covering(versions: Iterable[V], day: date) -> V | None:
    """The first version to take effect whose range covers ``day``."""
    return min((v for v in versions if covers(v.valid_from, v.valid_until, day)), key=_order, default=None)


def at_capture(versions: Iterable[V], day: date, captured_at: datetime,
               end: Callable[[V, datetime], date | None] = as_published) -> V | None:
    """The version a check-in captured at ``captured_at`` on local ``day`` falls under."""
    versions = list(versions)
    return in_force(versions, day, captured_at, end) or earliest_covering(versions, day)
