"""What an approved correction does to a verdict: the one rule reports and scores apply.

An employee contests one window's verdict on one day with an explanation; the unit head
approves or rejects. An approved correction changes the window's status in every report,
export and score, and the original stays beside it:

- ``missing`` (no check-in by the deadline) becomes ``excused``: the window no longer counts
  as expected (the head accepts the explanation; there is no time to judge);
- ``late`` becomes ``on_time`` (0 minutes late);
- ``outside_geofence`` clears the geofence flag; the status (on time or late) stays.

A correction that does not match the verdict (contesting ``late`` on a window that was
missing) changes nothing. A rejected or pending correction changes nothing.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Contested = Literal["missing", "late", "outside_geofence"]
CorrectionStatus = Literal["requested", "approved", "rejected"]


class Verdict(NamedTuple):
    status: str  # on_time | late | missing | excused
    late_minutes: int
    outside: bool


def corrected(verdict: Verdict, contested: Contested) -> Verdict:
    """``verdict`` after an approved correction of ``contested`` (module docstring)."""
    if contested == "missing" and verdict.status == "missing":
        return Verdict("excused", 0, False)
    if contested == "late" and verdict.status == "late":
        return Verdict("on_time", 0, verdict.outside)
    if contested == "outside_geofence" and verdict.outside:
        return Verdict(verdict.status, verdict.late_minutes, False)
    return verdict
