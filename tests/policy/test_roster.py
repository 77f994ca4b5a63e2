"""Rosters: quota every day, exempt always in the office, fair rotation."""

from __future__ import annotations

import random
import time as clock
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules.calendar import is_working_day
from services.contracts.rules.quota import quota_pct, required_in_office
from services.policy.domain.roster import RosterMember, build_roster, wfo_counts

M = RosterMember
WEEK = [date(2022, 1, 31) + timedelta(days=i) for i in range(5)]  # SE 800/258 takes effect


def wfo_on(roster, day):
    return sorted(i for i, mode in roster[day].items() if mode == "wfo")


def spread(counts):
    return max(counts) - min(counts) if counts else 0


def test_round_robin_in_a_small_non_essential_unit():
    team = [M("d"), M("b"), M("a"), M("c")]  # order does not matter
    roster = build_roster(team, WEEK, 25)
    assert [wfo_on(roster, d) for d in WEEK] == [["a"], ["b"], ["c"], ["d"], ["a"]]
    assert all(set(roster[d]) == {"a", "b", "c", "d"} for d in WEEK)


def test_quota_rounds_up_and_rotates():
    team = [M(str(i)) for i in range(5)]  # 25 % of 5 → 2 in the office
    roster = build_roster(team, WEEK, 25)
    assert [len(wfo_on(roster, d)) for d in WEEK] == [2] * 5
    assert sorted(wfo_counts(roster).values()) == [2, 2, 2, 2, 2]


def test_exempt_members_are_always_in_and_count_toward_the_quota():
    # Disdikbud: 8 people, 2 teachers; 50 % → 4 in the office, so 2 more each day.
    team = [M("guru-1", exempt=True), M("guru-2", exempt=True)] + [M(f"staf-{i}") for i in range(6)]
    roster = build_roster(team, WEEK, 50)
    for d in WEEK:
        wfo = wfo_on(roster, d)
        assert {"guru-1", "guru-2"} <= set(wfo)
        assert len(wfo) == 4
    counts = wfo_counts(roster)
    assert counts["guru-1"] == counts["guru-2"] == 5
    assert spread([counts[f"staf-{i}"] for i in range(6)]) <= 1


def test_exempt_members_alone_may_fill_the_quota_or_exceed_it():
    team = [M("loket-1", exempt=True), M("loket-2", exempt=True)] + [M(f"s{i}") for i in range(4)]
    roster = build_roster(team, WEEK, 25)  # 25 % of 6 → 2: the front desk is enough
    assert all(wfo_on(roster, d) == ["loket-1", "loket-2"] for d in WEEK)
    roster = build_roster(team, WEEK, 0)  # no quota: exempt still in
    assert all(wfo_on(roster, d) == ["loket-1", "loket-2"] for d in WEEK)


def test_critical_sector_keeps_everyone_in_the_office():
    team = [M(f"dinkes-{i}") for i in range(7)]
    roster = build_roster(team, WEEK, quota_pct(PolicyContent(), Sector.CRITICAL))
    assert all(mode == "wfo" for d in WEEK for mode in roster[d].values())


def test_history_gives_the_extra_days_to_those_who_had_fewer():
    team = [M("a"), M("b"), M("c"), M("d")]
    # last month a and b had one more WFO day
    roster = build_roster(team, WEEK[:2], 25, history={"a": 6, "b": 6, "c": 5, "d": 5})
    assert [wfo_on(roster, d) for d in WEEK[:2]] == [["c"], ["d"]]
    # unknown ids in history and exempt members' history are ignored
    roster = build_roster([M("a"), M("x", exempt=True)], WEEK[:1], 50, history={"zz": 3, "x": 9})
    assert wfo_on(roster, WEEK[0]) == ["x"]


def test_empty_inputs():
    assert build_roster([], WEEK, 25) == {d: {} for d in WEEK}
    assert build_roster([M("a")], [], 25) == {}


@pytest.mark.parametrize(
    ("members", "days", "quota", "history", "message"),
    [
        ([M("a"), M("a")], WEEK, 25, None, "duplicate member id: a"),
        ([M("a")], [WEEK[0], WEEK[0]], 25, None, "duplicate day: 2022-01-31"),
        ([M("a")], WEEK, 120, None, "quota must be 0-100"),
        ([M("a")], WEEK, 25, {"a": -1}, "must not be negative"),
    ],
)
def test_invalid_input_is_rejected(members, days, quota, history, message):
    with pytest.raises(ValueError, match=message):
        build_roster(members, days, quota, history)


# --- properties --------------------------------------------------------------------

members_strategy = st.lists(
    st.builds(M, id=st.text("abcdefgh0123456789", min_size=1, max_size=4), exempt=st.booleans()),
    max_size=25,
    unique_by=lambda m: m.id,
)
days_strategy = st.lists(
    st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=23, unique=True
)
quotas = st.integers(0, 100)


def check_roster(roster, members, days, quota):
    required = required_in_office(len(members), quota)
    exempt = {m.id for m in members if m.exempt}
    assert set(roster) == set(days)
    for d in days:
        assert set(roster[d]) == {m.id for m in members}
        wfo = set(wfo_on(roster, d))
        assert len(wfo) >= required  # quota met
        assert len(wfo) == max(required, len(exempt))  # and not more than needed
        assert exempt <= wfo  # exempt always in


@settings(max_examples=200, deadline=None)
@given(members_strategy, days_strategy, quotas)
def test_quota_met_exempt_in_and_fair(members, days, quota):
    roster = build_roster(members, days, quota)
    check_roster(roster, members, days, quota)
    counts = wfo_counts(roster)
    assert spread([counts.get(m.id, 0) for m in members if not m.exempt]) <= 1


@settings(max_examples=100, deadline=None)
@given(members_strategy, days_strategy, quotas, st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_input_order(members, days, quota, rnd):
    roster = build_roster(members, days, quota)
    assert build_roster(members, days, quota) == roster
    shuffled_members, shuffled_days = list(members), list(days)
    rnd.shuffle(shuffled_members)
    rnd.shuffle(shuffled_days)
    again = build_roster(shuffled_members, shuffled_days, quota)
    assert again == roster
    assert list(again) == sorted(days)  # days come out in calendar order


@settings(max_examples=150, deadline=None)
@given(members_strategy, days_strategy, quotas, st.data())
def test_history_never_widens_the_spread_of_totals(members, days, quota, data):
    rotating = [m.id for m in members if not m.exempt]
    history = {i: data.draw(st.integers(0, 30), label=i) for i in rotating}
    roster = build_roster(members, days, quota, history)
    check_roster(roster, members, days, quota)
    counts = wfo_counts(roster)
    before = spread(list(history.values()))
    assert spread([history[i] + counts.get(i, 0) for i in rotating]) <= max(1, before)


# --- scale -------------------------------------------------------------------------


def test_one_thousand_employees_in_twenty_units_over_november_2026():
    content = PolicyContent()
    first = date(2026, 11, 1)
    days = [first + timedelta(days=i) for i in range(30)]
    working = [d for d in days if is_working_day(d, content, None)]
    assert len(working) == 21

    rnd = random.Random(2026)
    cuts = sorted(rnd.sample(range(1, 1000), 19))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, 1000], strict=True)]
    sectors = [Sector.CRITICAL] * 3 + [Sector.ESSENTIAL] * 5 + [Sector.NON_ESSENTIAL] * 12
    nip = iter(range(1000))
    units = {
        f"opd-{u:02d}": (
            [M(f"{next(nip):04d}", exempt=rnd.random() < 0.1) for _ in range(size)],
            quota_pct(content, sectors[u]),
        )
        for u, size in enumerate(sizes)
    }
    assert sum(len(members) for members, _ in units.values()) == 1000

    started = clock.perf_counter()
    rosters = {uid: build_roster(members, working, quota) for uid, (members, quota) in units.items()}
    elapsed = clock.perf_counter() - started

    for uid, (members, quota) in units.items():
        roster = rosters[uid]
        check_roster(roster, members, working, quota)
        counts = wfo_counts(roster)
        assert spread([counts[m.id] for m in members if not m.exempt]) <= 1, uid
    assert elapsed < 2.0
