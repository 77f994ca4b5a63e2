"""The verdict-correction rule (services.contracts.rules.verdict_corrections): an approved
correction changes only the verdict it contests, and only when the verdict says so."""

from __future__ import annotations

import itertools

import pytest

from services.contracts.rules.verdict_corrections import Verdict, corrected

ON_TIME, LATE, MISSING = Verdict("on_time", 0, False), Verdict("late", 25, False), Verdict("missing", 0, False)
LATE_OUTSIDE, ON_TIME_OUTSIDE = Verdict("late", 25, True), Verdict("on_time", 0, True)


@pytest.mark.parametrize(("verdict", "contested", "after"), [
    (MISSING, "missing", Verdict("excused", 0, False)),
    (LATE, "late", ON_TIME),
    (LATE_OUTSIDE, "late", ON_TIME_OUTSIDE),  # the geofence flag is another matter
    (LATE_OUTSIDE, "outside_geofence", LATE),  # the lateness stays
    (ON_TIME_OUTSIDE, "outside_geofence", ON_TIME),
])
def test_a_matching_correction_changes_what_it_contests(verdict: Verdict, contested: str, after: Verdict) -> None:
    assert corrected(verdict, contested) == after  # type: ignore[arg-type]


@pytest.mark.parametrize(("verdict", "contested"), [
    (ON_TIME, "late"), (ON_TIME, "missing"), (ON_TIME, "outside_geofence"), (MISSING, "late"),
    (MISSING, "outside_geofence"), (LATE, "missing"), (LATE, "outside_geofence"), (LATE_OUTSIDE, "missing"),
])
def test_a_correction_that_does_not_match_the_verdict_changes_nothing(verdict: Verdict, contested: str) -> None:
    assert corrected(verdict, contested) == verdict  # type: ignore[arg-type]


def test_corrections_are_idempotent_and_the_two_of_a_late_check_outside_commute() -> None:
    for verdict, contested in itertools.product((ON_TIME, LATE, MISSING, LATE_OUTSIDE, ON_TIME_OUTSIDE),
                                                ("missing", "late", "outside_geofence")):
        once = corrected(verdict, contested)  # type: ignore[arg-type]
        assert corrected(once, contested) == once  # type: ignore[arg-type]
    both = corrected(corrected(LATE_OUTSIDE, "late"), "outside_geofence")
    assert both == corrected(corrected(LATE_OUTSIDE, "outside_geofence"), "late") == ON_TIME
