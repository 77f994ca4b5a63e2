"""Effective-dated places (pure rules). Inherited sectors: tests/contracts/test_rules.py."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.events import Place
from services.policy.domain.geo import is_valid_on
from services.policy.domain.places import overlaps, set_place


def home(lat: float, **dates: date | None) -> Place:
    return Place(name="Rumah", kind="home", latitude=lat, longitude=106.15, **dates)


D = date(2026, 3, 1)


def test_moving_closes_the_place_in_force_and_keeps_history():
    office = Place(name="Kantor", kind="office", latitude=-6.1, longitude=106.1)
    places = [home(-6.1), office]
    moved = set_place(places, home(-6.2), D)
    assert moved == [office, home(-6.1, valid_until=D - timedelta(days=1)), home(-6.2, valid_from=D)]
    assert set_place(moved, home(-6.2), D + timedelta(days=3)) == moved  # already in force: no change
    again = set_place(moved, home(-6.3), D)  # same day again: the version that never applied is dropped
    assert again == [office, home(-6.1, valid_until=D - timedelta(days=1)), home(-6.3, valid_from=D)]
    assert set_place([home(-6.1)], home(-6.1), None) == [home(-6.1)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 60)), max_size=8), st.integers(0, 70))
def test_after_any_sequence_of_moves_versions_never_overlap_and_the_latest_applies(moves, probe):
    places: list[Place] = []
    history: list[tuple[date, float]] = []
    for lat_step, offset in moves:
        start = D + timedelta(days=offset)
        lat = -6.0 - lat_step / 10
        places = set_place(places, home(lat), start)
        history = [(s, la) for s, la in history if s < start] + [(start, lat)]
    assert overlaps(places) is None
    day = D + timedelta(days=probe)
    in_force = [p for p in places if is_valid_on(p, day)]
    expected = [la for s, la in history if s <= day]
    if expected:
        assert [p.latitude for p in in_force] == [expected[-1]]
    else:
        assert in_force == []
