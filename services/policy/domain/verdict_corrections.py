"""Contesting a verdict: which requests are accepted and what a decision does: pure rules, no I/O.

An employee contests one window's verdict (missed, late, outside the geofence) on one tenant-local
day: not a day in the future, nor one more than :data:`MAX_PAST_DAYS` days ago, and only a window the
letter in force that day has (:func:`request_problem`). A ``requested`` correction is approved or
rejected once (a rejection says why, :mod:`.deciders`); what an approved one changes in reports is
:func:`services.contracts.rules.verdict_corrections.corrected`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from services.contracts.rules.verdict_corrections import CorrectionStatus
from services.policy.domain.deciders import Decision, Refused, note_problem

MAX_PAST_DAYS = 62


def request_problem(day: date, window_id: str, windows: Collection[str], today: date) -> tuple[str, Refused] | None:
    """Why contesting ``window_id`` on ``day`` is refused today: (the field, why), or None."""
    if day > today:
        return "local_date", Refused("date_in_future", "Tanggal belum terjadi", "the day has not come yet")
    if day < today - timedelta(days=MAX_PAST_DAYS):
        return "local_date", Refused("date_too_old", f"Paling lama {MAX_PAST_DAYS} hari yang lalu",
                                     f"at most {MAX_PAST_DAYS} days ago")
    if window_id not in windows:
        return "window_id", Refused("unknown_window", "Jendela ini tidak ada dalam surat edaran yang berlaku hari itu",
                                    "the letter in force that day has no such window")
    return None


def decide(status: str, decision: Decision, note: str) -> CorrectionStatus | Refused:
    """The state after ``decision`` on a correction in ``status``."""
    if status != "requested":
        return Refused("correction_decided", f"Permohonan ini sudah diputuskan ({status})",
                       f"this request was already decided ({status})")
    missing_note = note_problem(decision, note)
    if missing_note is not None:
        return missing_note
    return "approved" if decision == "approve" else "rejected"
