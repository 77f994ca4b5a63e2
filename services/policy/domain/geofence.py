"""The geofence check of one check-in: is it at an allowed place?

Only kinds that prove presence are checked (:data:`GEOFENCED_KINDS`: location
shares and attendance), and only when the check-in carries coordinates; others are
``"not_checked"``. The allowed places depend on the day's work mode: the home
places on a WFH day, the office places on a WFO day, all the employee's places
when the mode is unknown. Places of kind ``"other"`` count only when the mode is
unknown; places allowed for the day besides (``also``: an official trip's alternative place)
always count. With no allowed place valid that day the result is ``"not_checked"``. The
result names the deciding place and its kind (home, office, other).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal, NamedTuple

from services.contracts.events import Location, Place, WorkMode
from services.contracts.policy import CheckinKind
from services.policy.domain.geo import nearest_place

GEOFENCED_KINDS: frozenset[CheckinKind] = frozenset({CheckinKind.LOCATION, CheckinKind.ATTENDANCE})

GeofenceStatus = Literal["inside", "outside", "not_checked"]
PlaceKind = Literal["home", "office", "other"]

_PLACE_KIND_FOR_MODE = {"wfh": "home", "wfo": "office"}


class GeofenceResult(NamedTuple):
    """Geofence status, distance in metres to the deciding place, its name and kind."""

    status: GeofenceStatus
    distance_m: float | None = None
    place_name: str | None = None
    place_kind: PlaceKind | None = None


NOT_CHECKED = GeofenceResult("not_checked")


def allowed_places(places: Sequence[Place], mode: WorkMode | None) -> list[Place]:
    """The places a check-in may come from on a day of work ``mode``."""
    if mode is None:
        return list(places)
    wanted = _PLACE_KIND_FOR_MODE[mode]
    return [p for p in places if p.kind == wanted]


def check_geofence(
    kind: CheckinKind,
    location: Location | None,
    places: Sequence[Place],
    mode: WorkMode | None,
    on: date,
    default_radius_m: float,
    also: Sequence[Place] = (),
) -> GeofenceResult:
    """Inside/outside the nearest allowed place, or not checked (module docstring)."""
    if kind not in GEOFENCED_KINDS or location is None:
        return NOT_CHECKED
    match = nearest_place(
        location.latitude, location.longitude, [*allowed_places(places, mode), *also], on, default_radius_m
    )
    if match is None:
        return NOT_CHECKED
    return GeofenceResult(
        "inside" if match.inside else "outside", match.distance_m, match.place.name, match.place.kind
    )
