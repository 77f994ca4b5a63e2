"""The life of an absence request and who may move it: pure rules, no I/O.

Transitions (anything else is refused with a :class:`Refused` naming why):

- ``requested`` → head approves → ``approved``, or ``awaiting_bkd`` when the letter asks the BKD too
  (``needs_bkd``, :func:`services.contracts.rules.absence.needs_bkd`);
- ``requested`` → head rejects → ``rejected``;
- ``awaiting_bkd`` → BKD approves / rejects → ``approved`` / ``rejected``;
- ``requested`` / ``awaiting_bkd`` / ``approved`` → the employee cancels → ``cancelled``; for an
  approved one ``cancelled_from`` = max(start, tenant-local today): what was already excused stays so,
  the expectations are back from then on. An approved absence that is over (end before today) is not
  cancelled: there is nothing left to restore.

A rejection needs a note. Who decides: :mod:`.deciders` (the head's step: the head of the employee's
unit or the BKD; the BKD's step: the BKD alone; nobody decides their own).

Requests (:func:`span_problem`): end on or after start, at most
:data:`~services.contracts.rules.absence.MAX_ABSENCE_DAYS` days, starting at most
:data:`MAX_PAST_DAYS` days ago (sick leave is often filed afterwards).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from services.contracts.rules.absence import MAX_ABSENCE_DAYS, AbsenceStatus, length_days
from services.policy.domain.deciders import Decision, Refused, Step, note_problem

MAX_PAST_DAYS = 31
OPEN: tuple[AbsenceStatus, ...] = ("requested", "awaiting_bkd", "approved")
"""States that hold their days: a new request overlapping one of them is refused."""


class Outcome(NamedTuple):
    """The state after a decision and the step that took it."""

    status: AbsenceStatus
    step: Step


def step_of(status: str) -> Step | None:
    """Whose decision an absence in ``status`` waits for (None: it waits for nobody)."""
    return {"requested": "head", "awaiting_bkd": "bkd"}.get(status)  # type: ignore[return-value]


def decide(status: str, needs_bkd: bool, decision: Decision, note: str) -> Outcome | Refused:
    """The state after ``decision`` on an absence in ``status``."""
    step = step_of(status)
    if step is None:
        return Refused("absence_not_pending", f"Permohonan ini tidak menunggu keputusan (status {status})",
                       f"this absence is not waiting for a decision (status {status})")
    missing_note = note_problem(decision, note)
    if missing_note is not None:
        return missing_note
    if decision == "reject":
        return Outcome("rejected", step)
    if step == "head" and needs_bkd:
        return Outcome("awaiting_bkd", step)
    return Outcome("approved", step)


def cancel(status: str, start: date, end: date, today: date) -> tuple[AbsenceStatus, date | None] | Refused:
    """The state after the employee cancels, and ``cancelled_from`` (module docstring)."""
    if status not in OPEN:
        return Refused("absence_not_cancellable", f"Permohonan berstatus {status} tidak dapat dibatalkan",
                       f"an absence that is {status} cannot be cancelled")
    if status != "approved":
        return "cancelled", None
    if end < today:
        return Refused("absence_over", "Izin ketidakhadiran ini sudah berakhir; tidak ada yang dibatalkan",
                       "this absence is already over; there is nothing to cancel")
    return "cancelled", max(start, today)


def span_problem(start: date, end: date, today: date) -> tuple[str, Refused] | None:
    """Why ``start``..``end`` is no absence one may ask for today: (the field, why), or None."""
    if end < start:
        return "end", Refused("end_before_start", "Tanggal selesai sebelum tanggal mulai", "end is before start")
    if length_days(start, end) > MAX_ABSENCE_DAYS:
        return "end", Refused("absence_too_long", f"Paling lama {MAX_ABSENCE_DAYS} hari",
                              f"at most {MAX_ABSENCE_DAYS} days")
    if start < today - timedelta(days=MAX_PAST_DAYS):
        return "start", Refused("start_too_old", f"Tanggal mulai paling lama {MAX_PAST_DAYS} hari yang lalu",
                                f"the start may be at most {MAX_PAST_DAYS} days ago")
    return None
