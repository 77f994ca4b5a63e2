"""How versions of a circular letter (Surat Edaran) are made, as pure rules.

A letter is never overwritten: an amendment or an extension is a new version.
Which version applies to a day (planned, or as known at a capture time) is a rule
every service shares: :mod:`services.contracts.rules.versions`. This module holds
what only the policy service, which issues versions, decides:

- **Taking effect.** A version takes effect at local midnight of its
  ``valid_from`` (tenant zone), or when it is issued if that day has come already:
  ``effective_at = max(issued_at, midnight of valid_from)``. ``policy.updated``
  is published at that moment, not before.
- **Order.** A new version may not start before the last version that has taken
  effect (:func:`floor`): what applied is never rewritten. It may start before a
  *scheduled* version (one dated later, not yet in effect): amending the version in
  force while an extension waits. The scheduled version still takes effect on its
  own date; the amendment applies from its own start until the day before.
- **Closing.** The live (not withdrawn) versions of a letter, ordered by
  ``(valid_from, version)``, each end the day before the next one starts:
  ``valid_until = min(declared_valid_until, next.valid_from - 1 day)``
  (:func:`closures`). The end a version was signed with stays in
  ``declared_valid_until``; ``superseded_by`` names the next version and
  ``superseded_at`` is when the closing took effect (the next version's
  ``effective_at``), so that :func:`~services.contracts.rules.versions.until_as_known_at`
  can tell the range as it stood at any instant. Appending a version closes only
  the one before it, as it always did; a version inserted before a scheduled one
  is closed by it from the start. A version replaced before its first day ends
  before it starts: it is *void* and never takes effect.
- **Withdrawal.** A scheduled version (not published, its moment still ahead) may
  be withdrawn (:func:`withdrawable`): it stays in the history with who, when and
  why, is never published, and leaves the closing: the versions it closed take
  their ranges back from the versions that remain (:func:`closures` again).
  Consumers learn of a version only when it takes effect (``policy.updated``), so
  they never hold a withdrawn one; a published version whose range grows back is
  published again with it.
- **Status.** Withdrawn; void; else *scheduled* until it is published and its
  moment has come; then *in force* until its last day has passed, after which it
  is *superseded* (a later version closed it) or *expired*.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple, Protocol, TypeVar
from zoneinfo import ZoneInfo

from services.contracts.rules.versions import Dated, aware

_DAY = timedelta(days=1)

VersionStatus = Literal["scheduled", "in_force", "superseded", "expired", "void", "withdrawn"]


class Issued(Dated, Protocol):
    """A version as the issuing service keeps it: when it was published, what replaced it."""

    @property
    def published_at(self) -> datetime | None: ...
    @property
    def superseded_by(self) -> int | None: ...
    @property
    def withdrawn_at(self) -> datetime | None: ...


class Closable(Issued, Protocol):
    @property
    def declared_valid_until(self) -> date | None: ...


C = TypeVar("C", bound=Closable)


class Closure(NamedTuple):
    """A version's range as the versions after it close it."""

    valid_until: date | None
    superseded_by: int | None
    superseded_at: datetime | None


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


def live(versions: Sequence[C]) -> list[C]:
    """The versions not withdrawn, in the order that closes them: ``(valid_from, version)``."""
    return sorted((v for v in versions if v.withdrawn_at is None), key=lambda v: (v.valid_from, v.version))


def closures(versions: Sequence[Closable]) -> dict[int, Closure]:
    """Each live version's range, by number (module docstring, *Closing*)."""
    order = live(versions)
    found: dict[int, Closure] = {}
    for v, after in zip(order, [*order[1:], None], strict=True):
        found[v.version] = (Closure(v.declared_valid_until, None, None) if after is None else
                            Closure(closed_until(v.declared_valid_until, after.valid_from), after.version,
                                    after.effective_at))
    return found


def latest(versions: Sequence[C]) -> C:
    """The live version that comes last, else (every one withdrawn) the highest number; ``versions`` not empty."""
    order = live(versions)
    return order[-1] if order else max(versions, key=lambda v: v.version)


def floor(versions: Sequence[C], now: datetime) -> C | None:
    """The version a new one may not start before: the last live, non-void one that took effect by ``now``."""
    return next((v for v in reversed(live(versions)) if not is_void(v) and aware(v.effective_at) <= now), None)


def withdrawable(v: Issued, now: datetime) -> bool:
    """Whether ``v`` may still be withdrawn: not void, not withdrawn, never published, its moment ahead."""
    return v.withdrawn_at is None and not is_void(v) and v.published_at is None and aware(v.effective_at) > now


def status(v: Issued, now: datetime, today: date) -> VersionStatus:
    """Where a version stands at ``now`` (``today``: that instant's day in the tenant's zone)."""
    if v.withdrawn_at is not None:
        return "withdrawn"
    if is_void(v):
        return "void"
    if v.published_at is None or v.effective_at > now:
        return "scheduled"
    if v.valid_until is not None and v.valid_until < today:
        return "superseded" if v.superseded_by is not None else "expired"
    return "in_force"
