"""Geodesic distance and nearest allowed place."""

from __future__ import annotations

import math
from datetime import date

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.events import Place
from services.policy.domain.geo import SHORT_M, distance_m, is_valid_on, nearest_place

SERANG = (-6.1200, 106.1503)  # Kantor Gubernur Banten, KP3B Curug
MAKASSAR = (-5.1477, 119.4327)
JAYAPURA = (-2.5337, 140.7181)


def reference_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]


def vincenty_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Vincenty's inverse formula: an independent oracle (not for near-antipodal points)."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(
            math.cos(u2) * sin_lam,
            math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_lam,
        )
        if sin_sigma == 0:
            return 0.0
        cos_sigma = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = math.cos(u1) * math.cos(u2) * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * math.sin(u1) * math.sin(u2) / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - lam_prev) < 1e-12:
            break
    u_sq = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = big_b * sin_sigma * (
        cos_2sm
        + big_b / 4 * (
            cos_sigma * (-1 + 2 * cos_2sm**2)
            - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
        )
    )
    return b * big_a * (sigma - delta_sigma)


lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
# Indonesia's bounding box, from Sabang to Merauke.
id_lats = st.floats(min_value=-11.0, max_value=6.0, allow_nan=False)
id_lons = st.floats(min_value=95.0, max_value=141.0, allow_nan=False)


# --- distance_m --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(lats, lons, lats, lons)
def test_distance_agrees_with_geographiclib_anywhere(lat1, lon1, lat2, lon2):
    assert distance_m(lat1, lon1, lat2, lon2) == pytest.approx(
        reference_m(lat1, lon1, lat2, lon2), abs=0.5
    )


@settings(max_examples=200, deadline=None)
@given(id_lats, id_lons, id_lats, id_lons)
def test_distance_in_indonesia_agrees_with_an_independent_vincenty(lat1, lon1, lat2, lon2):
    got = distance_m(lat1, lon1, lat2, lon2)
    assert got == pytest.approx(reference_m(lat1, lon1, lat2, lon2), abs=0.5)
    assert got == pytest.approx(vincenty_m(lat1, lon1, lat2, lon2), abs=0.5)


@settings(max_examples=100, deadline=None)
@given(id_lats, id_lons, st.floats(-0.01, 0.01), st.floats(-0.01, 0.01))
def test_short_distances_near_an_office_agree_within_half_a_metre(lat, lon, dlat, dlon):
    lat2, lon2 = max(-90.0, min(90.0, lat + dlat)), lon + dlon
    assert distance_m(lat, lon, lat2, lon2) == pytest.approx(
        vincenty_m(lat, lon, lat2, lon2), abs=0.5
    )


@settings(max_examples=100, deadline=None)
@given(lats, lons, lats, lons)
def test_distance_is_symmetric_and_non_negative(lat1, lon1, lat2, lon2):
    d = distance_m(lat1, lon1, lat2, lon2)
    assert d >= 0
    assert d == pytest.approx(distance_m(lat2, lon2, lat1, lon1), abs=1e-6)


@pytest.mark.parametrize(
    ("a", "b"),
    [(SERANG, MAKASSAR), (SERANG, JAYAPURA), (MAKASSAR, JAYAPURA)],
    ids=["serang-makassar", "serang-jayapura", "makassar-jayapura"],
)
def test_distances_between_indonesian_capitals(a, b):
    d = distance_m(*a, *b)
    assert d == pytest.approx(reference_m(*a, *b), abs=0.5)
    assert d == pytest.approx(vincenty_m(*a, *b), abs=0.5)
    assert 1_000_000 < d < 4_000_000


def test_known_values_on_the_ellipsoid():
    # One degree of longitude on the equator is a·π/180; a quarter meridian is 10,001,965.729 m.
    assert distance_m(0, 0, 0, 1) == pytest.approx(6378137 * math.pi / 180, abs=1e-6)
    assert distance_m(0, 0, 90, 0) == pytest.approx(10_001_965.729, abs=0.001)
    assert distance_m(*SERANG, *SERANG) == 0.0


def test_long_and_nearly_antipodal_distances():
    # Jayapura to a point near its antipode (in the Atlantic off Brazil), where Vincenty fails.
    lat, lon = JAYAPURA
    for lat2, lon2 in [(-lat, lon - 180), (-lat + 0.5, lon - 179.7), (40.7, -74.0)]:
        assert distance_m(lat, lon, lat2, lon2) == pytest.approx(
            reference_m(lat, lon, lat2, lon2), abs=0.5
        )


@pytest.mark.parametrize(
    "args", [(91, 0, 0, 0), (0, 181, 0, 0), (0, 0, float("nan"), 0), (0, 0, 0, float("inf"))]
)
def test_invalid_coordinates_are_rejected_in_both_languages(args):
    with pytest.raises(ValueError, match="tidak valid / invalid"):
        distance_m(*args)


# --- nearest_place -----------------------------------------------------------------


def place(name, lat, lon, kind="office", radius=None, valid_from=None, valid_until=None):
    return Place(name=name, kind=kind, latitude=lat, longitude=lon, radius_m=radius,
                 valid_from=valid_from, valid_until=valid_until)


KP3B = place("Kantor KP3B", *SERANG)
HOME_CIPOCOK = place("Rumah Cipocok Jaya", -6.1405, 106.1722, kind="home", radius=80)
DAY = date(2022, 2, 9)


def test_point_at_the_office_is_inside_with_the_default_radius():
    match = nearest_place(SERANG[0] + 0.0005, SERANG[1], [KP3B, HOME_CIPOCOK], DAY, 150)
    assert match is not None
    assert match.place == KP3B
    assert match.inside
    assert match.distance_m == pytest.approx(55.3, abs=0.5)


def test_point_beyond_the_radius_is_outside_and_reports_the_nearest():
    match = nearest_place(SERANG[0] + 0.005, SERANG[1], [KP3B, HOME_CIPOCOK], DAY, 150)
    assert match is not None
    assert match.place == KP3B
    assert not match.inside
    assert match.distance_m == pytest.approx(reference_m(SERANG[0] + 0.005, SERANG[1], *SERANG))


def test_own_radius_overrides_the_default():
    big = place("Kantor KP3B", *SERANG, radius=1000)
    match = nearest_place(SERANG[0] + 0.005, SERANG[1], [big], DAY, 150)
    assert match is not None and match.inside


def test_boundary_is_inside():
    d = distance_m(SERANG[0] + 0.001, SERANG[1], *SERANG)
    match = nearest_place(SERANG[0] + 0.001, SERANG[1], [place("x", *SERANG, radius=d)], DAY, 1)
    assert match is not None and match.inside


def test_a_containing_place_wins_over_a_nearer_one_that_does_not_contain():
    lat, lon = SERANG
    small_near = place("Rumah", lat + 0.0006, lon, kind="home", radius=10)  # ~66 m away
    big_far = place("Kantor", lat - 0.001, lon, radius=500)  # ~110 m away
    match = nearest_place(lat, lon, [small_near, big_far], DAY, 150)
    assert match is not None
    assert match.place == big_far and match.inside


def test_places_outside_their_validity_are_ignored():
    old_home = place("Rumah lama", *SERANG, kind="home", valid_until=date(2022, 1, 31))
    new_home = place("Rumah baru", *MAKASSAR, kind="home", valid_from=date(2022, 2, 1))
    match = nearest_place(*SERANG, [old_home, new_home], DAY, 150)
    assert match is not None
    assert match.place == new_home and not match.inside
    match = nearest_place(*SERANG, [old_home, new_home], date(2022, 1, 31), 150)
    assert match is not None and match.place == old_home and match.inside


def test_validity_bounds_are_inclusive():
    p = place("x", *SERANG, valid_from=date(2022, 1, 31), valid_until=date(2022, 2, 28))
    assert is_valid_on(p, date(2022, 1, 31))
    assert is_valid_on(p, date(2022, 2, 28))
    assert not is_valid_on(p, date(2022, 1, 30))
    assert not is_valid_on(p, date(2022, 3, 1))


def test_no_valid_place_gives_none():
    assert nearest_place(*SERANG, [], DAY, 150) is None
    expired = place("x", *SERANG, valid_until=date(2020, 1, 1))
    assert nearest_place(*SERANG, [expired], DAY, 150) is None


def test_default_radius_must_be_positive():
    with pytest.raises(ValueError, match="default radius"):
        nearest_place(*SERANG, [KP3B], DAY, 0)


@settings(max_examples=100, deadline=None)
@given(
    id_lats, id_lons,
    st.lists(st.tuples(id_lats, id_lons, st.floats(1, 5000)), min_size=1, max_size=6),
)
def test_nearest_place_is_consistent_with_distances(lat, lon, specs):
    places = [place(f"p{i}", la, lo, radius=r) for i, (la, lo, r) in enumerate(specs)]
    match = nearest_place(lat, lon, places, DAY, 150)
    assert match is not None
    distances = [distance_m(lat, lon, p.latitude, p.longitude) for p in places]
    containing = [d for d, p in zip(distances, places, strict=True) if d <= p.radius_m]
    assert match.inside == bool(containing)
    assert match.distance_m == (min(containing) if containing else min(distances))


@settings(max_examples=400, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 360), st.floats(0, SHORT_M * 1.05))
def test_short_distances_are_within_a_tenth_of_a_millimetre_of_the_geodesic(lat, lon, azimuth, metres):
    """The chord formula used below 20 km (and the switch to Karney's algorithm above it)."""
    end = Geodesic.WGS84.Direct(lat, lon, azimuth, metres)
    lon2 = (end["lon2"] + 180) % 360 - 180
    assert distance_m(lat, lon, end["lat2"], lon2) == pytest.approx(
        reference_m(lat, lon, end["lat2"], lon2), abs=1e-4)
