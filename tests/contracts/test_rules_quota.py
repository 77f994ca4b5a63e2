"""In-office quota: a minimum share, rounded up."""

from __future__ import annotations

from fractions import Fraction
from math import ceil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules.quota import quota_pct, required_in_office


@pytest.mark.parametrize(
    ("headcount", "quota", "required"),
    [
        (0, 25, 0), (1, 25, 1), (4, 25, 1), (5, 25, 2), (100, 25, 25), (101, 25, 26),
        (1, 50, 1), (3, 50, 2), (10, 50, 5), (7, 100, 7), (10, 0, 0), (3, 33, 1), (3, 34, 2),
    ],
)
def test_required_in_office_rounds_up(headcount, quota, required):
    assert required_in_office(headcount, quota) == required


@pytest.mark.parametrize(("headcount", "quota"), [(-1, 25), (10, -1), (10, 101)])
def test_invalid_input_is_rejected(headcount, quota):
    with pytest.raises(ValueError, match=" / "):
        required_in_office(headcount, quota)


def test_quota_comes_from_the_letter_or_the_se_800_258_default():
    content = PolicyContent(sector_quotas={Sector.ESSENTIAL: 60})
    assert quota_pct(content, Sector.ESSENTIAL) == 60
    assert quota_pct(content, Sector.CRITICAL) == 100
    assert quota_pct(content, Sector.NON_ESSENTIAL) == 25
    assert quota_pct(PolicyContent(), Sector.ESSENTIAL) == 50


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 100_000), st.integers(0, 100))
def test_required_is_the_exact_ceiling_of_the_share(headcount, quota):
    required = required_in_office(headcount, quota)
    assert required == ceil(Fraction(headcount * quota, 100))
    assert 0 <= required <= headcount
    assert required * 100 >= headcount * quota > (required - 1) * 100 or required == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 99), st.integers(0, 100))
def test_required_grows_with_headcount_and_quota(headcount, quota, more):
    assert required_in_office(headcount, quota) <= required_in_office(headcount, quota + 1)
    assert required_in_office(headcount, quota) <= required_in_office(headcount + more, quota)
