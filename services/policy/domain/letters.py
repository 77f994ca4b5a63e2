"""How versions of a circular letter (Surat Edaran) are made, as pure rules.

A letter is never overwritten: an amendment or an extension is a new version.
Which version applies to a day (planned, or as known at a capture time) is a rule
every service shares: :mod:`services.contracts.rules.versions`. This module holds
what only the policy service, which issues versions, decides:

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
  ``effective_at``), so that :func:`~services.contracts.rules.versions.until_as_known_at`
  can tell the range as it stood at any instant. A version replaced before its
  first day ends before it starts: it is *void* and never takes effect.
- **Status.** Void; else *scheduled* until it is published and its moment has come;
  then *in force* until its last day has passed, after which it is *superseded*
  (a later version closed it) or *expired*.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from services.contracts.rules.versions import Dated

_DAY = timedelta(days=1)

VersionStatus = Literal["scheduled", "in_force", "superseded", "expired", "void"]


class Issued(Dated, Protocol):
    """A version as the issuing service keeps it: when it was published, what replaced it."""

    @property
    def published_at(self) -> datetime | None: ...
    @property
    def superseded_by(self) -> int | None: ...


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


def is_void(v: Dated) -> bool:
    """Replaced before its first day: never in force."""
    return v.valid_until is not None and v.valid_until < v.valid_from


def status(v: Issued, now: datetime, today: date) -> VersionStatus:
    """Where a version stands at ``now`` (``today``: that instant's day in the tenant's zone)."""
    if is_void(v):
        return "void"
    if v.published_at is None or v.effective_at > now:
        return "scheduled"
    if v.valid_until is not None and v.valid_until < today:
        return "superseded" if v.superseded_by is not None else "expired"
    return "in_force"
