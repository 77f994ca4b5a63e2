"""Versions of a circular letter over time: how policy makes them (``domain.letters``) and
which one applies as known at an instant (``contracts.rules.versions``, with the ranges
as policy records them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.rules import versions
from services.contracts.rules.versions import earliest_covering, until_as_known_at
from services.contracts.rules.versions import for_day as planned
from services.policy.domain.letters import closed_until, effective_at, is_void, local_midnight
from tests.support.versions import V


def in_force(history, day, at):  # noqa: ANN001, ANN201
    """What the policy service asks: ranges as they stood at ``at``."""
    return versions.in_force(history, day, at, until_as_known_at)


def issue(history: list[V], valid_from: date, valid_until: date | None, at: datetime, tz: str = "Asia/Jakarta") -> V:
    """What the service does: a new version closing the previous one."""
    new = V(len(history) + 1, valid_from, valid_until, effective_at(valid_from, tz, at), valid_until)
    if history:
        prev = history[-1]
        prev.valid_until = closed_until(prev.valid_until, valid_from)
        prev.superseded_at = new.effective_at
    history.append(new)
    return new


def t(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


D = date(2022, 1, 31)


def test_a_version_takes_effect_at_local_midnight_or_when_issued_if_later():
    assert local_midnight(D, "Asia/Jakarta") == datetime(2022, 1, 30, 17, tzinfo=UTC)
    assert local_midnight(D, "Asia/Jayapura") == datetime(2022, 1, 30, 15, tzinfo=UTC)
    assert effective_at(D, "Asia/Jakarta", t(D - timedelta(days=3))) == datetime(2022, 1, 30, 17, tzinfo=UTC)
    assert effective_at(D, "Asia/Jakarta", t(D)) == t(D)


def test_closing_takes_the_earlier_end():
    assert closed_until(None, D) == D - timedelta(days=1)
    assert closed_until(D + timedelta(days=10), D) == D - timedelta(days=1)
    assert closed_until(D - timedelta(days=10), D) == D - timedelta(days=10)  # a gap stays a gap


def test_a_checkin_captured_under_version_1_keeps_version_1_after_version_2_closed_it():
    history: list[V] = []
    v1 = issue(history, D, None, t(D - timedelta(days=5)))
    v2 = issue(history, D + timedelta(days=3), None, t(D + timedelta(days=3), 5))  # issued on its first day
    day = D + timedelta(days=3)
    assert v1.valid_until == D + timedelta(days=2)
    captured_early = t(day, 2)  # before version 2 was issued that day
    assert in_force(history, day, captured_early) is v1
    assert in_force(history, day, t(day, 6)) is v2
    assert planned(history, day) is v2
    assert in_force(history, D + timedelta(days=1), t(D + timedelta(days=10))) is v1


def test_a_retroactive_amendment_does_not_rejudge_checkins_captured_before_it():
    history: list[V] = []
    v1 = issue(history, D, D + timedelta(days=28), t(D - timedelta(days=1)))
    v2 = issue(history, D + timedelta(days=5), None, t(D + timedelta(days=10)))  # signed late, valid from day 5
    assert in_force(history, D + timedelta(days=7), t(D + timedelta(days=7))) is v1
    assert in_force(history, D + timedelta(days=7), t(D + timedelta(days=11))) is v2
    assert planned(history, D + timedelta(days=7)) is v2


def test_a_version_replaced_before_its_first_day_is_void():
    history: list[V] = []
    v1 = issue(history, D, None, t(D))
    v2 = issue(history, D + timedelta(days=10), None, t(D + timedelta(days=1)))
    v3 = issue(history, D + timedelta(days=10), None, t(D + timedelta(days=2)))
    assert is_void(v2) and not is_void(v1) and not is_void(v3)
    later = D + timedelta(days=12)
    assert in_force(history, later, t(later)) is v3
    assert planned(history, later) is v3
    assert planned(history, D + timedelta(days=9)) is v1


def test_before_any_version_the_first_covering_one_is_the_fallback():
    history: list[V] = []
    v1 = issue(history, D, None, t(D, 3))
    issue(history, D + timedelta(days=1), None, t(D + timedelta(days=1), 3))
    assert in_force(history, D, t(D, 1)) is None
    assert earliest_covering(history, D) is v1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.one_of(st.none(), st.integers(0, 30)), st.integers(-72, 72)),
                min_size=1, max_size=6), st.integers(-2, 40), st.integers(0, 24 * 60 - 1))
def test_in_force_matches_a_replay_of_what_was_known_at_the_instant(steps, day_offset, minute):
    """For an instant ``at`` on local ``day`` (as a check-in's capture time is), the
    answer equals replaying only the versions issued by ``at`` (with their closings)
    and taking the newest in effect whose range covers the day."""
    history: list[V] = []
    issued_at: list[datetime] = []
    start, clock = D, t(D - timedelta(days=1))
    for gap, length, offset in steps:  # issued up to 3 days before or after its first day, in order
        start = start + timedelta(days=gap)
        clock = max(clock, local_midnight(start, "Asia/Jakarta") + timedelta(hours=offset))
        issue(history, start, None if length is None else start + timedelta(days=length), clock)
        issued_at.append(clock)
    day = D + timedelta(days=day_offset)
    at = local_midnight(day, "Asia/Jakarta") + timedelta(minutes=minute)

    replay: list[V] = []
    for v, when in zip(history, issued_at, strict=True):
        if when <= at:
            issue(replay, v.valid_from, v.declared_valid_until, when)
    known = [r for r in replay if r.effective_at <= at]
    expected = max((r for r in known if not is_void(r) and r.valid_from <= day
                    and (r.valid_until is None or day <= r.valid_until)),
                   key=lambda r: (r.effective_at, r.version), default=None)
    got = in_force(history, day, at)
    assert (got.version if got else None) == (expected.version if expected else None)
