"""How long Hadir keeps each kind of personal data, per tenant (UU PDP 27/2022: limited retention).

One model of a tenant's periods (defaults below, the tenant admin may change them within the bounds),
carried on the tenant record of ``directory.updated`` so that every service reduces its own data by
the same periods, and the pure rule that says whether a record has passed its period. Every service's
retention job asks :func:`expired`; none restates a period or a cut-off.

What each period reduces (docs/privacy.md):

- ``checkin_coordinates_days`` (90): a check-in older than this keeps its verdict, distance and the
  place's name; its raw coordinates, accuracy and device id are removed.
- ``superseded_places_days`` (90): a place version closed (``valid_until``) longer ago than this is removed.
- ``last_fix_days`` (30): the last known fix of an employee (impossible-travel check) older than this is removed.
- ``leaver_days`` (90): an employee inactive for longer than this loses places, last fix and contact
  details, and their check-ins are reduced whatever their age.
- ``access_log_days`` (730): rows of the location access log older than this are deleted.
- ``notices_days`` (365): notices sent to a person older than this are deleted (their text and address).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

DAY = timedelta(days=1)


class RetentionPeriods(BaseModel):
    """A tenant's retention periods in days (defaults: docs/privacy.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    checkin_coordinates_days: int = Field(
        default=90, ge=7, le=3650,
        description="raw check-in coordinates (then only verdict, distance and place name stay)")
    superseded_places_days: int = Field(
        default=90, ge=0, le=3650, description="a place version after it was closed (valid_until)")
    last_fix_days: int = Field(default=30, ge=1, le=3650,
                               description="the last known fix of an employee (impossible-travel check)")
    leaver_days: int = Field(
        default=90, ge=0, le=3650,
        description="after an employee became inactive: places, last fix, contacts and coordinates go")
    access_log_days: int = Field(default=730, ge=365, le=3650, description="rows of the location access log")
    notices_days: int = Field(default=365, ge=30, le=3650, description="notices sent to a person")


DEFAULT_PERIODS = RetentionPeriods()


def periods_of(stored: dict[str, object] | None) -> RetentionPeriods:
    """A tenant's periods from what a service stored (JSON of the tenant record's ``retention``);
    nothing stored (or a tenant not yet known): the defaults."""
    return RetentionPeriods.model_validate(stored) if stored else DEFAULT_PERIODS


def stored(periods: RetentionPeriods | None) -> dict[str, object] | None:
    """What a service stores of a tenant record's ``retention`` in its tenant read model (a JSON
    column; None: the defaults); :func:`periods_of` reads it back."""
    return periods.model_dump(mode="json") if periods is not None else None


def cutoff(now: datetime, days: int) -> datetime:
    """The instant before which a record of a ``days`` period has expired at ``now`` (UTC)."""
    return now - days * DAY


def expired(at: datetime, now: datetime, days: int) -> bool:
    """Whether something that happened (or ended) at ``at`` is past a ``days`` period at ``now``."""
    return at < cutoff(now, days)


def day_cutoff(today: date, days: int) -> date:
    """The first calendar day still kept on ``today`` by a ``days`` period: an earlier day has expired
    (what a query compares a stored day with; :func:`day_expired` is the same rule for one day)."""
    return today - days * DAY


def day_expired(day: date, today: date, days: int) -> bool:
    """Whether a calendar ``day`` (a place's ``valid_until``, a leaving day) is past a ``days`` period on
    ``today`` (both the tenant's local days): the period counts whole days after ``day``."""
    return day < day_cutoff(today, days)
