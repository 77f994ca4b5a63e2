"""How decisions change a ledger row (services.reporting.domain.decisions), pure: an absence wins
over everything, corrections apply in a fixed order and keep the original verdict, a pending
window has nothing to correct, and the row the check-ins give is untouched without decisions."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.domain.decisions import NONE, DayDecisions, Decisions, merge_corrections
from services.reporting.domain.ledger import Fact, outcome

EARLY = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
LATE_OUTSIDE = Fact(late=True, late_minutes=30, outside_geofence=True, suspicious=True, checkin_at=EARLY)


def test_without_decisions_the_row_is_what_the_checkins_give() -> None:
    o = outcome(LATE_OUTSIDE, closed=True, decisions=NONE)
    assert (o.status, o.late_minutes, o.outside_geofence, o.original_status, o.corrected_at) == (
        "late", 30, True, None, None)
    assert outcome(None, closed=True).status == "missing"
    assert outcome(None, closed=False).status is None


def test_an_absence_excuses_whatever_was_sent_and_whatever_was_corrected() -> None:
    for fact in (None, LATE_OUTSIDE):
        for closed in (False, True):
            o = outcome(fact, closed, Decisions(absence_kind="cuti", corrections=(("late", EARLY),)))
            assert (o.status, o.absence_kind, o.late_minutes, o.outside_geofence, o.suspicious, o.original_status) \
                == ("excused", "cuti", 0, False, False, None)


def test_corrections_apply_in_order_keep_the_original_and_the_latest_decision_time() -> None:
    both = Decisions(corrections=(("outside_geofence", LATER), ("late", EARLY)))
    o = outcome(LATE_OUTSIDE, closed=True, decisions=both)
    assert (o.status, o.late_minutes, o.outside_geofence, o.suspicious) == ("on_time", 0, False, True)
    assert (o.original_status, o.original_late_minutes, o.original_outside_geofence, o.corrected_at) == (
        "late", 30, True, LATER)
    missing = outcome(None, closed=True, decisions=Decisions(corrections=(("missing", EARLY),)))
    assert (missing.status, missing.original_status) == ("excused", "missing")


def test_a_correction_that_changes_nothing_leaves_no_original_and_pending_has_nothing_to_correct() -> None:
    o = outcome(LATE_OUTSIDE, closed=True, decisions=Decisions(corrections=(("missing", EARLY),)))
    assert (o.status, o.original_status, o.corrected_at) == ("late", None, None)
    pending = outcome(None, closed=False, decisions=Decisions(corrections=(("missing", EARLY),)))
    assert (pending.status, pending.original_status) == (None, None)


def test_a_days_decisions_per_window() -> None:
    day = DayDecisions(absences={"1": "sakit"},
                       corrections=merge_corrections([("apel", "2", "late", EARLY), ("apel", "2", "missing", LATER),
                                                      ("lokasi", "3", "late", EARLY)]))
    assert day.excused() == frozenset({"1"})
    assert day.for_window("apel") == {"1": Decisions("sakit"),
                                      "2": Decisions(None, (("late", EARLY), ("missing", LATER)))}
    assert day.for_window("lokasi") == {"1": Decisions("sakit"), "3": Decisions(None, (("late", EARLY),))}
