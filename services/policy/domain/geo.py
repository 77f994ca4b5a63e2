"""Geodesic distance on the WGS84 ellipsoid and the nearest allowed place.

Distances are geodesic: below 20 km (geofences, the travel between two check-ins of
a day) from the straight chord between the two points on the ellipsoid plus the arc's
curvature term ``c³/24R²`` — within 0.1 mm of the geodesic there and about 40 times
cheaper; beyond, from Karney's algorithm (``geographiclib``), accurate to a few
nanometres anywhere on Earth, including nearly antipodal points where Vincenty's
iteration fails to converge.

A place is *valid* on a day when ``valid_from <= day <= valid_until`` (both ends
inclusive, ``None`` meaning open). A point is *inside* a place when its distance
is at most the place's radius (``place.radius_m``, else the policy's default).

:func:`nearest_place` prefers containment over raw distance: if the point is
inside any valid place it returns the nearest of those (``inside=True``);
otherwise the nearest valid place overall (``inside=False``). So an employee
standing within a large office's radius is "inside" even when a small home
geofence happens to be closer. Ties keep the order of ``places``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from geographiclib.geodesic import Geodesic

from services.contracts.events import Place

_WGS84 = Geodesic.WGS84
_A = _WGS84.a  # equatorial radius, m
_E2 = _WGS84.f * (2 - _WGS84.f)  # first eccentricity squared
_R2 = 6_371_008.8**2  # mean radius squared, for the arc's curvature term
SHORT_M = 20_000.0  # below this chord the chord formula is used


class PlaceMatch(NamedTuple):
    """The place chosen for a point, its distance in metres and whether the point is inside."""

    place: Place
    distance_m: float
    inside: bool


def _check_coordinates(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"Lintang tidak valid / invalid latitude: {lat!r} (-90..90)")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ValueError(f"Bujur tidak valid / invalid longitude: {lon!r} (-180..180)")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres between two WGS84 points given in degrees."""
    _check_coordinates(lat1, lon1)
    _check_coordinates(lat2, lon2)
    x1, y1, z1 = _earth_centred(lat1, lon1)
    x2, y2, z2 = _earth_centred(lat2, lon2)
    chord = math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2)
    if chord < SHORT_M:  # an arc of curvature 1/R is longer than its chord by c³/24R² (+ O(c⁵))
        return chord + chord**3 / (24 * _R2)
    return float(_WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"])


def _earth_centred(lat: float, lon: float) -> tuple[float, float, float]:
    """Earth-centred, earth-fixed coordinates (m) of a point on the WGS84 ellipsoid."""
    phi, lam = math.radians(lat), math.radians(lon)
    sin_phi, cos_phi = math.sin(phi), math.cos(phi)
    n = _A / math.sqrt(1 - _E2 * sin_phi * sin_phi)  # prime vertical radius of curvature
    return n * cos_phi * math.cos(lam), n * cos_phi * math.sin(lam), n * (1 - _E2) * sin_phi


def is_valid_on(place: Place, day: date) -> bool:
    """Whether ``place`` is in effect on ``day`` (inclusive bounds, ``None`` = open)."""
    if place.valid_from is not None and day < place.valid_from:
        return False
    return place.valid_until is None or day <= place.valid_until


def radius_of(place: Place, default_radius_m: float) -> float:
    """The place's own radius, or the policy default when it has none."""
    return place.radius_m if place.radius_m is not None else default_radius_m


def nearest_place(
    lat: float,
    lon: float,
    places: Sequence[Place],
    on: date,
    default_radius_m: float,
) -> PlaceMatch | None:
    """The place that decides the geofence for a point on a day; ``None`` if none is valid.

    See the module docstring for the choice between containing and nearest places.
    """
    if not default_radius_m > 0:
        raise ValueError(
            f"Radius bawaan harus positif / default radius must be positive: {default_radius_m!r}"
        )
    _check_coordinates(lat, lon)
    best_inside: PlaceMatch | None = None
    best_any: PlaceMatch | None = None
    for place in places:
        if not is_valid_on(place, on):
            continue
        d = distance_m(lat, lon, place.latitude, place.longitude)
        inside = d <= radius_of(place, default_radius_m)
        match = PlaceMatch(place, d, inside)
        if best_any is None or d < best_any.distance_m:
            best_any = match
        if inside and (best_inside is None or d < best_inside.distance_m):
            best_inside = match
    return best_inside or best_any
