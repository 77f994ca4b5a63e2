"""The life of an absence and of a contested verdict, and who decides them (pure rules:
services/policy/domain/absences.py, verdict_corrections.py, deciders.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.contracts.rules.absence import MAX_ABSENCE_DAYS
from services.policy.domain import absences, verdict_corrections
from services.policy.domain.absences import Outcome
from services.policy.domain.deciders import Refused, decider_problem, may_read

TODAY = date(2026, 3, 10)
START, END = date(2026, 3, 9), date(2026, 3, 13)


@pytest.mark.parametrize(("status", "needs_bkd", "decision", "expected"), [
    ("requested", False, "approve", Outcome("approved", "head")),
    ("requested", True, "approve", Outcome("awaiting_bkd", "head")),
    ("requested", True, "reject", Outcome("rejected", "head")),
    ("awaiting_bkd", True, "approve", Outcome("approved", "bkd")),
    ("awaiting_bkd", True, "reject", Outcome("rejected", "bkd")),
])
def test_decisions_move_a_pending_absence(status: str, needs_bkd: bool, decision: str, expected: Outcome) -> None:
    assert absences.decide(status, needs_bkd, decision, "alasan") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["approved", "rejected", "cancelled"])
def test_a_decided_or_cancelled_absence_takes_no_decision(status: str) -> None:
    for decision in ("approve", "reject"):
        refused = absences.decide(status, True, decision, "alasan")  # type: ignore[arg-type]
        assert isinstance(refused, Refused) and refused.kind == "absence_not_pending"


def test_a_rejection_needs_a_note_and_an_approval_does_not() -> None:
    for note in ("", "   "):
        refused = absences.decide("requested", False, "reject", note)
        assert isinstance(refused, Refused) and refused.kind == "note_required"
        assert verdict_corrections.decide("requested", "reject", note) == refused
    assert absences.decide("requested", False, "approve", "") == Outcome("approved", "head")


def test_cancelling_restores_the_days_from_today_on_for_an_approved_absence() -> None:
    assert absences.cancel("requested", START, END, TODAY) == ("cancelled", None)
    assert absences.cancel("awaiting_bkd", START, END, TODAY) == ("cancelled", None)
    assert absences.cancel("approved", START, END, TODAY) == ("cancelled", TODAY)
    later = START + timedelta(days=3)
    assert absences.cancel("approved", later, END, TODAY) == ("cancelled", later)  # not begun: from its start
    assert absences.cancel("approved", START, TODAY, TODAY) == ("cancelled", TODAY)  # its last day
    over = absences.cancel("approved", START, TODAY - timedelta(days=1), TODAY)
    assert isinstance(over, Refused) and over.kind == "absence_over"
    for status in ("rejected", "cancelled"):
        refused = absences.cancel(status, START, END, TODAY)
        assert isinstance(refused, Refused) and refused.kind == "absence_not_cancellable"


def test_the_days_asked_for_are_bounded() -> None:
    assert absences.span_problem(START, END, TODAY) is None
    assert absences.span_problem(TODAY - timedelta(days=31), TODAY, TODAY) is None  # sick leave filed afterwards
    field, refused = absences.span_problem(TODAY - timedelta(days=32), TODAY, TODAY) or ("", None)
    assert (field, refused and refused.kind) == ("start", "start_too_old")
    field, refused = absences.span_problem(END, START, TODAY) or ("", None)
    assert (field, refused and refused.kind) == ("end", "end_before_start")
    longest = TODAY + timedelta(days=MAX_ABSENCE_DAYS - 1)
    assert absences.span_problem(TODAY, longest, TODAY) is None
    field, refused = absences.span_problem(TODAY, longest + timedelta(days=1), TODAY) or ("", None)
    assert (field, refused and refused.kind) == ("end", "absence_too_long")


def who(roles: set[str], unit: str | None = "bkd", nip: str | None = "199001012015031002") -> dict[str, object]:
    return {"roles": roles, "unit_id": unit, "nip": nip}


def test_the_head_of_the_unit_or_the_bkd_takes_the_heads_step_and_only_the_bkd_its_own() -> None:
    request = {"request_unit": "bkd", "request_employee": "198503122010011003"}
    assert decider_problem("head", **who({"unit_head"}), **request) is None  # type: ignore[arg-type]
    assert decider_problem("head", **who({"tenant_admin"}, unit=None, nip=None), **request) is None  # type: ignore[arg-type]
    assert decider_problem("bkd", **who({"tenant_admin"}, unit=None, nip=None), **request) is None  # type: ignore[arg-type]
    cases = [("head", who({"unit_head"}, unit="dinkes"), "own_unit_only"),
             ("head", who({"employee"}), "own_unit_only"),
             ("bkd", who({"unit_head"}), "bkd_step"),
             ("head", who({"unit_head", "tenant_admin"}, nip="198503122010011003"), "own_request")]
    for step, caller, kind in cases:
        refused = decider_problem(step, **caller, **request)  # type: ignore[arg-type]
        assert refused is not None and refused.kind == kind, (step, caller)
    assert may_read(roles={"unit_head"}, unit_id="bkd", request_unit="bkd")
    assert not may_read(roles={"unit_head"}, unit_id="dinkes", request_unit="bkd")
    assert may_read(roles={"tenant_admin"}, unit_id=None, request_unit="bkd")
    assert not may_read(roles={"employee"}, unit_id="bkd", request_unit="bkd")


def test_a_verdict_is_contested_for_a_past_window_of_the_letter_once() -> None:
    windows = {"attendance", "location-1"}
    assert verdict_corrections.request_problem(TODAY, "attendance", windows, TODAY) is None
    assert verdict_corrections.request_problem(TODAY - timedelta(days=62), "location-1", windows, TODAY) is None
    for day, window, expected in ((TODAY + timedelta(days=1), "attendance", ("local_date", "date_in_future")),
                                  (TODAY - timedelta(days=63), "attendance", ("local_date", "date_too_old")),
                                  (TODAY, "lunch", ("window_id", "unknown_window"))):
        field, refused = verdict_corrections.request_problem(day, window, windows, TODAY) or ("", None)
        assert (field, refused and refused.kind) == expected
    assert verdict_corrections.decide("requested", "approve", "") == "approved"
    assert verdict_corrections.decide("requested", "reject", "Tidak sesuai") == "rejected"
    for status in ("approved", "rejected"):
        refused = verdict_corrections.decide(status, "approve", "")
        assert isinstance(refused, Refused) and refused.kind == "correction_decided"
