"""What heads and the BKD decided about an employee's window, and what it does to the row (pure).

The decisions come from policy (absences, verdict corrections) and checkin (reviews) as
events; :mod:`services.reporting.decisions` keeps their latest states. Each changes a
window's ledger row by a shared rule of :mod:`services.contracts.rules`, applied here on
top of the row the check-ins alone give (:func:`.ledger.outcome`):

- **an approved absence** (``absence.updated``; the days it excuses are
  :func:`services.contracts.rules.absence.excused_span`): the employee is not expected
  that day — no reminder, no overdue notice — and each window they would have been
  expected in is a row of status ``excused`` with the absence's ``absence_kind``
  (late minutes and flags cleared: there is nothing to judge). It wins over any check-in
  and any correction;
- **an approved correction** (``correction.updated``): the status the check-ins give is
  changed by :func:`services.contracts.rules.verdict_corrections.corrected` (missing →
  ``excused``, late → on time, outside the geofence → inside) and the original verdict is
  kept beside it (``original_status``, ``original_late_minutes``,
  ``original_outside_geofence``) with the moment of the decision (``corrected_at``).
  Several approved corrections of one window apply one after the other; one that does not
  match the verdict changes nothing (and leaves no original);
- **a returned review** (``checkin.reviewed``) is not a decision on the row: the returned
  check-in is no fact at all (:func:`services.reporting.queries.window_facts` leaves it
  out), so the window is missing after its deadline until another qualifying check-in
  arrives in it, or the review is approved after all.

A row of status ``excused`` is not expected: it is not counted in ``expected`` of the
daily report and not in N of the discipline score (:mod:`.scoring`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from services.contracts.rules.verdict_corrections import Contested, Verdict, corrected

if TYPE_CHECKING:
    from services.reporting.domain.ledger import Outcome

CORRECTION_ORDER: tuple[Contested, ...] = ("missing", "late", "outside_geofence")


@dataclass(frozen=True, slots=True)
class Decisions:
    """The decisions in force on one employee's window."""

    absence_kind: str | None = None  # an approved absence excuses the day (its kind)
    corrections: tuple[tuple[Contested, datetime], ...] = ()  # approved: (what was contested, when decided)


NONE = Decisions()


@dataclass
class DayDecisions:
    """The decisions of one tenant's day: absences per NIP, approved corrections per (window, NIP)."""

    absences: dict[str, str] = field(default_factory=dict)  # NIP → kind
    corrections: dict[tuple[str, str], list[tuple[Contested, datetime]]] = field(default_factory=dict)

    def excused(self) -> frozenset[str]:
        return frozenset(self.absences)

    def for_window(self, window_id: str) -> dict[str, Decisions]:
        out = {nip: Decisions(absence_kind=kind) for nip, kind in self.absences.items()}
        for (wid, nip), found in self.corrections.items():
            if wid == window_id:
                out[nip] = Decisions(absence_kind=self.absences.get(nip), corrections=tuple(found))
        return out


def decided(base: Outcome, decisions: Decisions) -> Outcome:
    """The row after the decisions (module docstring); ``base`` is what the check-ins alone give."""
    if decisions.absence_kind is not None:
        return replace(base, status="excused", late_minutes=0, outside_geofence=False, suspicious=False,
                       absence_kind=decisions.absence_kind)
    if base.status is None or not decisions.corrections:
        return base  # pending: nothing to correct yet
    verdict = Verdict(base.status, base.late_minutes, base.outside_geofence)
    at: datetime | None = None
    for contested, when in sorted(decisions.corrections, key=lambda c: CORRECTION_ORDER.index(c[0])):
        after = corrected(verdict, contested)
        if after != verdict:
            verdict, at = after, max(at, when) if at is not None else when
    if at is None:
        return base
    return replace(base, status=verdict.status, late_minutes=verdict.late_minutes,  # type: ignore[arg-type]
                   outside_geofence=verdict.outside,
                   original_status=base.status, original_late_minutes=base.late_minutes,
                   original_outside_geofence=base.outside_geofence, corrected_at=at)


def merge_corrections(rows: Sequence[tuple[str, str, Contested, datetime]],
                      ) -> dict[tuple[str, str], list[tuple[Contested, datetime]]]:
    """(window, NIP, contested, decided at) rows of approved corrections, grouped per (window, NIP)."""
    out: dict[tuple[str, str], list[tuple[Contested, datetime]]] = {}
    for window_id, nip, contested, at in rows:
        out.setdefault((window_id, nip), []).append((contested, at))
    return out

