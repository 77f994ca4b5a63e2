"""The one rule of a ledger row (``services.reporting.domain.ledger``), table-driven.

Each case is the qualifying and other verdicts of one employee in one window, and
whether the deadline has passed; the row must say the same however it is reached:
folding the verdicts in any order (the closure, the live report, exports), or folding
a stored row with the verdict that came after it (a verdict arriving after the closure).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations
from typing import Any

import pytest

from services.reporting.domain import ledger


def at(minute: int) -> datetime:
    return datetime(2026, 3, 10, 0, minute, tzinfo=UTC)


def v(status: str, minutes: int = 0, *, outside: bool = False, suspicious: bool = False,
      captured: int = 0) -> tuple[Any, ...]:
    return (status, minutes, outside, suspicious, at(captured))


# verdicts, closed → status, late_minutes, outside_geofence, suspicious, checkin_at (minute)
CASES: dict[str, tuple[list[tuple[Any, ...]], bool, tuple[Any, ...]]] = {
    "nothing, deadline to come: pending": ([], False, (None, 0, False, False, None)),
    "nothing, deadline passed: missing": ([], True, ("missing", 0, False, False, None)),
    "on time": ([v("on_time", captured=5)], True, ("on_time", 0, False, False, 5)),
    "on time before the deadline is not pending": ([v("on_time", captured=5)], False, ("on_time", 0, False, False, 5)),
    "late": ([v("late", 20, captured=50)], True, ("late", 20, False, False, 50)),
    "the least late counts": ([v("late", 20, captured=50), v("late", 5, captured=35)], True,
                              ("late", 5, False, False, 35)),
    "on time beats late": ([v("late", 5, captured=35), v("on_time", captured=40)], True,
                           ("on_time", 0, False, False, 35)),
    "outside the window fills nothing": ([v("outside_window", captured=1)], True, ("missing", 0, False, False, None)),
    "not required fills nothing": ([v("not_required", captured=1)], False, (None, 0, False, False, None)),
    "a verdict that does not qualify leaves its flags out": (
        [v("outside_window", outside=True, suspicious=True, captured=1), v("late", 3, captured=33)], True,
        ("late", 3, False, False, 33)),
    "outside the geofence once is enough": ([v("on_time", captured=5), v("late", 9, outside=True, captured=39)],
                                            True, ("on_time", 0, True, False, 5)),
    "suspicious once is enough": ([v("late", 9, suspicious=True, captured=39), v("late", 12, captured=42)], True,
                                  ("late", 9, False, True, 39)),
    "the earliest qualifying capture": ([v("on_time", captured=9), v("on_time", captured=2), v("late", 1, captured=31)],
                                        True, ("on_time", 0, False, False, 2)),
}


def row_of(verdicts: list[tuple[Any, ...]], closed: bool) -> tuple[Any, ...]:
    o = ledger.outcome(ledger.fold(ledger.verdict(*x) for x in verdicts), closed)
    minute = None if o.checkin_at is None else o.checkin_at.minute
    return (o.status, o.late_minutes, o.outside_geofence, o.suspicious, minute)


@pytest.mark.parametrize("name", list(CASES))
def test_the_row_of_an_expected_check_in(name: str) -> None:
    verdicts, closed, expected = CASES[name]
    assert row_of(verdicts, closed) == expected
    for order in permutations(verdicts):
        assert row_of(list(order), closed) == expected, order


@pytest.mark.parametrize("name", [n for n, (verdicts, closed, _) in CASES.items() if closed and verdicts])
def test_a_verdict_after_the_closure_folds_into_the_stored_row(name: str) -> None:
    """What the consumer does with the stored row and a late verdict gives what the closure
    would have written had it seen every verdict."""
    verdicts, _, expected = CASES[name]
    for i, last in enumerate(verdicts):
        before = verdicts[:i] + verdicts[i + 1:]
        o = ledger.outcome(ledger.fold(ledger.verdict(*x) for x in before), closed=True)
        assert o.status is not None
        stored = ledger.verdict(o.status, o.late_minutes, o.outside_geofence, o.suspicious, o.checkin_at)
        after = ledger.outcome(ledger.merge(stored, ledger.verdict(*last)), closed=True)
        minute = None if after.checkin_at is None else after.checkin_at.minute
        assert (after.status, after.late_minutes, after.outside_geofence, after.suspicious, minute) == expected
