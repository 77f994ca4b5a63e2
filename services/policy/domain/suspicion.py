"""Signs that a check-in may not be genuine, as machine-readable reason codes.

- ``mock_location``: the device says the location came from a mock provider.
- ``poor_accuracy``: the reported accuracy radius is worse (larger) than
  ``content.accuracy_threshold_m``.
- ``impossible_travel``: reaching this fix from the employee's previous location
  check-in would need a speed above ``content.max_travel_speed_kmh``. The distance
  is first reduced by this fix's accuracy radius, so GPS jitter between two
  check-ins seconds apart is not travel. Equal capture times with any remaining
  distance count as impossible.
- ``clock_skew``: ``|captured_at - received_at|`` is above
  ``content.clock_skew_limit_seconds``. (The contract carries no device send time,
  so a check-in queued offline is indistinguishable from a wrong clock.)
- ``missing_location``: a location share without coordinates.

Codes always come in the order of :data:`REASONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.contracts.events import CheckinReceived, Location
from services.contracts.policy import CheckinKind, PolicyContent
from services.policy.domain.geo import distance_m

MOCK_LOCATION = "mock_location"
POOR_ACCURACY = "poor_accuracy"
IMPOSSIBLE_TRAVEL = "impossible_travel"
CLOCK_SKEW = "clock_skew"
MISSING_LOCATION = "missing_location"

REASONS = (MOCK_LOCATION, POOR_ACCURACY, IMPOSSIBLE_TRAVEL, CLOCK_SKEW, MISSING_LOCATION)


@dataclass(frozen=True)
class PreviousFix:
    """The employee's previous location check-in."""

    captured_at: datetime
    latitude: float
    longitude: float


def travel_speed_kmh(previous: PreviousFix, location: Location, captured_at: datetime) -> float:
    """Speed in km/h needed to go from ``previous`` to ``location`` (jitter discounted).

    ``inf`` when the capture times are equal and the distance is not zero.
    """
    moved = distance_m(previous.latitude, previous.longitude, location.latitude, location.longitude)
    moved = max(0.0, moved - location.accuracy_m)
    seconds = abs((captured_at - previous.captured_at) / timedelta(seconds=1))
    if moved == 0:
        return 0.0
    if seconds == 0:
        return float("inf")
    return moved / seconds * 3.6


def suspicion_reasons(
    checkin: CheckinReceived, content: PolicyContent, previous: PreviousFix | None
) -> list[str]:
    """The reason codes that apply to ``checkin``, in the order of :data:`REASONS`."""
    reasons: list[str] = []
    location = checkin.location
    if location is not None:
        if location.mock_location:
            reasons.append(MOCK_LOCATION)
        if location.accuracy_m > content.accuracy_threshold_m:
            reasons.append(POOR_ACCURACY)
        if previous is not None and (
            travel_speed_kmh(previous, location, checkin.captured_at) > content.max_travel_speed_kmh
        ):
            reasons.append(IMPOSSIBLE_TRAVEL)
    skew = abs(checkin.captured_at - checkin.received_at)
    if skew > timedelta(seconds=content.clock_skew_limit_seconds):
        reasons.append(CLOCK_SKEW)
    if location is None and checkin.kind == CheckinKind.LOCATION:
        reasons.append(MISSING_LOCATION)
    return reasons
