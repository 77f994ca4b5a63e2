"""Which days an absence excuses, and whether it needs the BKD: the rules every service applies.

An absence (cuti, sakit, izin, dinas luar, tugas belajar) covers local days ``start`` to
``end`` inclusive. It moves through ``requested`` → ``approved`` or ``rejected`` by the unit
head; when the letter says its kind needs the BKD from its length
(``PolicyContent.absence_bkd_from_days``), the head's approval moves it to ``awaiting_bkd``
and the BKD decides. The employee may cancel it while requested or approved.

**Excused days** (no expectation, no reminder, no overdue notice, no escalation, the status
``excused`` in reports and scores):

- an ``approved`` absence excuses ``start``..``end``;
- a ``cancelled`` absence that had been approved excuses ``start``..``cancelled_from − 1``:
  cancelling restores the expectations *from* ``cancelled_from`` (the tenant-local day of the
  cancellation, or ``start`` if that is earlier) on; what had already been excused stays so;
- nothing else excuses anything (requested, awaiting BKD, rejected).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal, NamedTuple

from services.contracts.policy import AbsenceKind, PolicyContent

AbsenceStatus = Literal["requested", "awaiting_bkd", "approved", "rejected", "cancelled"]
MAX_ABSENCE_DAYS = 1096  # three years: the longest study leave

ABSENCE_NAMES: dict[AbsenceKind, tuple[str, str]] = {
    AbsenceKind.CUTI: ("Cuti", "Leave"),
    AbsenceKind.SAKIT: ("Sakit", "Sick leave"),
    AbsenceKind.IZIN: ("Izin", "Permission"),
    AbsenceKind.DINAS_LUAR: ("Dinas luar", "Official travel"),
    AbsenceKind.TUGAS_BELAJAR: ("Tugas belajar", "Study leave"),
}
"""The people-facing name of each kind, Bahasa Indonesia and English."""


class Span(NamedTuple):
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def length_days(start: date, end: date) -> int:
    return (end - start).days + 1


def needs_bkd(kind: AbsenceKind | str, start: date, end: date, content: PolicyContent) -> bool:
    """Whether an absence of ``kind`` from ``start`` to ``end`` also needs the BKD's approval."""
    threshold = content.absence_bkd_from_days.get(AbsenceKind(kind))
    return threshold is not None and length_days(start, end) >= threshold


def excused_span(status: str, start: date, end: date, cancelled_from: date | None = None) -> Span | None:
    """The days an absence in ``status`` excuses (module docstring), or None."""
    if status == "approved":
        return Span(start, end)
    if status == "cancelled" and cancelled_from is not None and cancelled_from > start:
        return Span(start, min(end, cancelled_from - timedelta(days=1)))
    return None


def excused_on(spans: Iterable[Span], day: date) -> bool:
    return any(span.covers(day) for span in spans)
