"""How policy closes and withdraws versions of a letter (``domain.letters``), as pure rules: appending
versions closes exactly as the one-step rule always did; a version inserted before a scheduled one ends
the day before it; withdrawing a version gives the others their ranges back; only a scheduled version
can be withdrawn; a new version may not start before the last one that took effect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.policy.domain.letters import Closure, closed_until, closures, floor, latest, withdrawable

D = date(2026, 3, 2)
NOW = datetime(2026, 3, 10, 5, tzinfo=UTC)


@dataclass
class Row:
    version: int
    valid_from: date
    declared_valid_until: date | None
    effective_at: datetime
    valid_until: date | None = None
    published_at: datetime | None = None
    superseded_by: int | None = None
    superseded_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        self.valid_until = self.declared_valid_until


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.one_of(st.none(), st.integers(0, 40))), min_size=1, max_size=8))
def test_appending_versions_closes_as_the_one_step_rule_did(steps: list[tuple[int, int | None]]) -> None:
    rows: list[Row] = []
    start = D
    for gap, length in steps:
        start = start + timedelta(days=gap)
        new = Row(len(rows) + 1, start, start + timedelta(days=length) if length is not None else None, at(start))
        if rows:  # the rule before withdrawals: close the previous version only
            prev = rows[-1]
            prev.valid_until = closed_until(prev.valid_until, new.valid_from)
            prev.superseded_by, prev.superseded_at = new.version, new.effective_at
        rows.append(new)
    assert closures(rows) == {r.version: Closure(r.valid_until, r.superseded_by, r.superseded_at) for r in rows}


def test_a_version_inserted_before_a_scheduled_one_ends_the_day_before_it() -> None:
    in_force = Row(1, D, None, at(D), published_at=at(D))
    scheduled = Row(2, D + timedelta(20), None, at(D + timedelta(20)))
    amendment = Row(3, D + timedelta(8), None, NOW)
    got = closures([in_force, scheduled, amendment])
    assert got[1] == Closure(D + timedelta(7), 3, NOW)
    assert got[3] == Closure(D + timedelta(19), 2, scheduled.effective_at)
    assert got[2] == Closure(None, None, None)


def test_withdrawing_a_version_gives_the_others_their_ranges_back() -> None:
    in_force = Row(1, D, D + timedelta(40), at(D), published_at=at(D))
    scheduled = Row(2, D + timedelta(20), None, at(D + timedelta(20)), withdrawn_at=NOW)
    amendment = Row(3, D + timedelta(8), None, NOW)
    got = closures([in_force, scheduled, amendment])
    assert set(got) == {1, 3}, "a withdrawn version takes no part"
    assert got[3] == Closure(None, None, None)
    assert closures([in_force, scheduled])[1] == Closure(D + timedelta(40), None, None), "its signed end"
    assert latest([in_force, scheduled, amendment]) is amendment
    assert latest([scheduled]) is scheduled, "every version withdrawn: the highest number"


def test_only_a_scheduled_version_can_be_withdrawn() -> None:
    assert withdrawable(Row(2, D + timedelta(20), None, at(D + timedelta(20))), NOW)
    assert not withdrawable(Row(1, D, None, at(D), published_at=at(D)), NOW), "in force"
    assert not withdrawable(Row(2, D + timedelta(5), None, at(D + timedelta(5))), NOW), "its moment has come"
    assert not withdrawable(Row(2, D + timedelta(20), None, at(D + timedelta(20)), withdrawn_at=NOW), NOW)
    void = Row(2, D + timedelta(20), None, at(D + timedelta(20)))
    void.valid_until = D + timedelta(19)
    assert not withdrawable(void, NOW), "void: it never takes effect anyway"


def test_a_new_version_may_not_start_before_the_last_one_that_took_effect() -> None:
    first = Row(1, D, None, at(D), published_at=at(D))
    second = Row(2, D + timedelta(5), None, at(D + timedelta(5)), published_at=at(D + timedelta(5)))
    scheduled = Row(3, D + timedelta(20), None, at(D + timedelta(20)))
    assert floor([first, second, scheduled], NOW) is second
    assert floor([first, second, scheduled], at(D + timedelta(1))) is first
    assert floor([scheduled], NOW) is None
