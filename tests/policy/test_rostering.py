"""Rosters over ranges whose rules change, and the checks on overrides (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.rules.quota import required_in_office
from services.policy.domain.rostering import DayRule, in_office, override_problem, plan

MONTH = [date(2022, 2, 1) + timedelta(days=i) for i in range(28)]


def spread(values):
    return max(values) - min(values) if values else 0


def test_a_change_of_quota_mid_month_keeps_the_rotation_fair():
    members = [f"p{i}" for i in range(10)]
    rules = [DayRule(d, 25 if d.day < 15 else 50) for d in MONTH]
    roster = plan(members, rules)
    for rule in rules:
        assert in_office(roster[rule.day]) == required_in_office(10, rule.quota_pct)
    counts = [sum(roster[d][m] == "wfo" for d in MONTH) for m in members]
    assert spread(counts) <= 1


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 30),
    st.lists(st.sampled_from([0, 25, 50, 75, 100]), min_size=1, max_size=28),
    st.sets(st.integers(0, 29), max_size=6),
    st.dictionaries(st.integers(0, 29), st.integers(0, 1), max_size=30),
)
def test_every_day_meets_its_quota_exempt_are_in_and_peers_stay_within_one(size, quotas, exempt_idx, history_idx):
    members = [f"m{i:02d}" for i in range(size)]
    exempt = frozenset(members[i] for i in exempt_idx if i < size)
    rules = [DayRule(MONTH[i], q, exempt) for i, q in enumerate(quotas)]
    history = {members[i]: n for i, n in history_idx.items() if i < size}
    roster = plan(members, rules, history)
    assert sorted(roster) == [r.day for r in rules]
    for rule in rules:
        modes = roster[rule.day]
        assert set(modes) == set(members)
        assert in_office(modes) >= required_in_office(size, rule.quota_pct)
        assert all(modes[m] == "wfo" for m in exempt)
    rotating = [m for m in members if m not in exempt]
    totals = [history.get(m, 0) + sum(roster[d][m] == "wfo" for d in roster) for m in rotating]
    assert spread(totals) <= 1  # history starts within one, so the totals stay within one


def test_overrides_respect_the_quota_and_the_exemptions():
    day = {"a": "wfo", "b": "wfo", "c": "wfh", "d": "wfh", "e": "wfh"}  # 25 % of 5 → 2
    assert override_problem(day, "a", "wfh", 25, exempt=False) is not None
    assert override_problem(day, "c", "wfo", 25, exempt=False) is None
    assert override_problem({**day, "c": "wfo"}, "a", "wfh", 25, exempt=False) is None
    message = override_problem({**day, "c": "wfo"}, "a", "wfh", 25, exempt=True)
    assert message is not None and " / " in message
