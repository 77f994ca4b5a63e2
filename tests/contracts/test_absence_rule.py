"""The shared absence rules (services/contracts/rules/absence.py): which days an absence excuses in
each state, cancellation boundaries included, and from which length the BKD must approve too."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.contracts.decisions import AbsenceUpdated
from services.contracts.policy import AbsenceKind, PolicyContent
from services.contracts.rules.absence import ABSENCE_NAMES, Span, excused_on, excused_span, needs_bkd

START, END = date(2026, 3, 9), date(2026, 3, 13)
DEFAULT = PolicyContent()


def test_only_an_approved_absence_excuses_its_days() -> None:
    assert excused_span("approved", START, END) == Span(START, END)
    for status in ("requested", "awaiting_bkd", "rejected"):
        assert excused_span(status, START, END) is None
    assert excused_span("cancelled", START, END, None) is None  # withdrawn before any approval


@pytest.mark.parametrize(("cancelled_from", "expected"), [
    (START, None),  # cancelled before its first day: nothing was excused
    (START - timedelta(days=3), None),
    (START + timedelta(days=1), Span(START, START)),
    (END, Span(START, END - timedelta(days=1))),
    (END + timedelta(days=1), Span(START, END)),
    (END + timedelta(days=30), Span(START, END)),
])
def test_a_cancelled_approval_keeps_the_days_before_cancelled_from(cancelled_from: date,
                                                                    expected: Span | None) -> None:
    span = excused_span("cancelled", START, END, cancelled_from)
    assert span == expected
    for day in Span(START - timedelta(days=1), END + timedelta(days=1)).days():
        assert excused_on([span] if span else [], day) == (expected is not None and expected.covers(day))


def test_excused_on_any_of_several_spans() -> None:
    spans = [Span(START, START), Span(END, END)]
    assert [excused_on(spans, START + timedelta(days=i)) for i in range(5)] == [True, False, False, False, True]
    assert Span(START, END).days()[0] == START and len(Span(START, END).days()) == 5


def test_the_bkd_approves_long_leave_and_study_leave_by_default() -> None:
    fourteen, fifteen = START + timedelta(days=13), START + timedelta(days=14)
    assert not needs_bkd(AbsenceKind.CUTI, START, fourteen, DEFAULT)
    assert needs_bkd(AbsenceKind.CUTI, START, fifteen, DEFAULT)
    assert needs_bkd("tugas_belajar", START, START, DEFAULT)
    for kind in ("sakit", "izin", "dinas_luar"):
        assert not needs_bkd(kind, START, START + timedelta(days=400), DEFAULT)


def test_the_letter_sets_the_thresholds() -> None:
    letter = PolicyContent(absence_bkd_from_days={AbsenceKind.SAKIT: 3})
    assert not needs_bkd("sakit", START, START + timedelta(days=1), letter)
    assert needs_bkd("sakit", START, START + timedelta(days=2), letter)
    assert not needs_bkd("cuti", START, START + timedelta(days=100), letter)  # the letter's map replaces the defaults
    with pytest.raises(ValueError):
        PolicyContent(absence_bkd_from_days={AbsenceKind.CUTI: 0})


def test_every_kind_has_a_name_in_both_languages_and_the_event_says_what_it_excuses() -> None:
    assert set(ABSENCE_NAMES) == set(AbsenceKind)
    assert all(indonesian and english and indonesian != english for indonesian, english in ABSENCE_NAMES.values())
    event = AbsenceUpdated(absence_id="5f0c1c36-7d1f-4c7e-9a43-0d6c1e8f2b10", employee_id="198503122010011003",
                           kind="cuti", start=START, end=END, status="cancelled", cancelled_from=END, revision=3,
                           at="2026-03-13T01:00:00Z")
    assert event.excused() == Span(START, END - timedelta(days=1))
    with pytest.raises(ValueError):
        AbsenceUpdated.model_validate({**event.model_dump(), "end": START - timedelta(days=1)})
