"""Whether a check-in window is asked of someone on a day: the one rule behind policy's
``not_required`` verdict and reporting's expectations, reminders and overdue notices.

The seeds make the location share, the video conference and the activity report the
supervision of those working *from home* (:data:`WFH_ONLY_KINDS`); attendance is asked
of everyone, in the office or at home. Rules, in order (the first that applies decides):

1. nothing is asked on a **non-working day** (the letter's week, the national and the
   tenant's calendar: :func:`services.contracts.rules.calendar.is_working_day`);
2. nothing is asked of an **inactive** employee;
3. nothing is asked of someone **excused** that day by an approved absence
   (:mod:`.absence`: cuti, sakit, izin, dinas luar, tugas belajar);
4. a window is asked of someone whose day is **WFO** (:mod:`.work_mode`) only if it
   accepts a kind other than the WFH-only ones; a WFH or unknown day is asked every
   window.

The unit is the *window*, because that is what reporting expects, reminds about and
counts: a window is filled by one qualifying check-in of any kind it accepts. So

- a WFO employee is never expected for a window of WFH-only kinds (no reminder, no
  overdue notice, not counted missing), and policy judges a check-in in such a window
  ``not_required``;
- in a window that mixes attendance with a WFH-only kind, a WFO employee is expected
  (for the attendance), and a check-in of any kind the window accepts — a location
  share from the office included — is judged on time or late and fills it. Judging that
  share ``not_required`` while still expecting the window would send a reminder and an
  overdue notice to someone who checked in;
- a check-in that falls in no window is judged by its own kind, as a window of that
  kind alone would be.

Hence, by construction: a check-in judged ``not_required`` (by policy) is in a window
that reporting does not expect of that employee that day, and a window reporting
expects is filled by any check-in policy judges in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal, NamedTuple

from services.contracts.events import WorkMode
from services.contracts.policy import CheckinKind, PolicyContent
from services.contracts.rules.calendar import TenantCalendar, is_working_day

WFH_ONLY_KINDS: frozenset[CheckinKind] = frozenset(
    {CheckinKind.LOCATION, CheckinKind.VIDEO_CONFERENCE, CheckinKind.ACTIVITY_REPORT}
)
"""Kinds asked only of people working from home."""

NotRequiredReason = Literal["non_working_day", "inactive", "absent", "wfo_day"]


class Requirement(NamedTuple):
    """Whether a window is asked of someone, why not if not, and the day's work mode."""

    required: bool
    mode: WorkMode | None
    reason: NotRequiredReason | None = None


def asks(kinds: Iterable[CheckinKind], mode: str | None) -> bool:
    """Whether a window accepting ``kinds`` is asked of someone whose day has work ``mode``
    (rule 4; the day and the employee aside)."""
    return mode != "wfo" or any(kind not in WFH_ONLY_KINDS for kind in kinds)


def requirement(kinds: Iterable[CheckinKind], day: date, *, content: PolicyContent,
                calendar: TenantCalendar | None, active: bool, mode: WorkMode | None,
                absent: bool = False) -> Requirement:
    """Whether a window accepting ``kinds`` on local ``day`` is asked of an employee
    (``active``, excused by an approved absence when ``absent``, whose day has work ``mode``)
    of a tenant with ``calendar``; rules in the module docstring."""
    if not is_working_day(day, content, calendar):
        return Requirement(False, mode, "non_working_day")
    if not active:
        return Requirement(False, mode, "inactive")
    if absent:
        return Requirement(False, mode, "absent")
    if not asks(kinds, mode):
        return Requirement(False, mode, "wfo_day")
    return Requirement(True, mode)
