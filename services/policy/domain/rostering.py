"""A unit's roster over a date range in which the rules may change, and the checks
a unit head's override must pass.

Each working day comes with the rules of the letter in force that day: the
unit's in-office quota and which members are exempt. Consecutive days with the
same rules are rostered together by :func:`.roster.build_roster`, and each
member's WFO count so far (``history``, then the days already planned) is carried
into the next stretch, so the rotation continues fairly across a change of letter:
over the range every non-exempt member's WFO days stay within one of their peers'
(when the history starts within one).

A unit head may move a member between WFO and WFH on one day
(:func:`override_problem`), but not below the quota and never an exempt member
to WFH: the quota and the exemptions are the letter's, not the head's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from services.contracts.events import WorkMode
from services.contracts.rules.quota import required_in_office
from services.policy.domain.roster import Roster, RosterMember, build_roster, wfo_counts


@dataclass(frozen=True, slots=True)
class DayRule:
    """The rules of one working day: the in-office quota and the exempt members."""

    day: date
    quota_pct: int
    exempt: frozenset[str] = frozenset()


def plan(member_ids: Sequence[str], rules: Sequence[DayRule], history: Mapping[str, int] | None = None) -> Roster:
    """WFO/WFH for every member on every day of ``rules`` (module docstring)."""
    counts = {m: (history or {}).get(m, 0) for m in member_ids}
    roster: Roster = {}
    ordered = sorted(rules, key=lambda r: r.day)
    for (quota, exempt), stretch in groupby(ordered, key=lambda r: (r.quota_pct, r.exempt)):
        days = [r.day for r in stretch]
        members = [RosterMember(m, exempt=m in exempt) for m in member_ids]
        part = build_roster(members, days, quota, counts)
        for member_id, n in wfo_counts(part).items():
            counts[member_id] += n
        roster.update(part)
    return roster


def in_office(assignments: Mapping[str, WorkMode]) -> int:
    return sum(1 for mode in assignments.values() if mode == "wfo")


def shortfall(assignments: Mapping[str, WorkMode], quota_pct: int) -> int:
    """How many more people the office needs that day to meet the quota (0 if met)."""
    return max(0, required_in_office(len(assignments), quota_pct) - in_office(assignments))


def override_problem(
    assignments: Mapping[str, WorkMode], member_id: str, mode: WorkMode, quota_pct: int, exempt: bool
) -> str | None:
    """Why moving ``member_id`` to ``mode`` on a day is not allowed (bilingual), or ``None``."""
    if mode == "wfh" and exempt:
        return ("Pegawai ini dikecualikan oleh surat edaran dan selalu WFO / "
                "this employee is exempt under the circular letter and always works in the office")
    after = {**assignments, member_id: mode}
    missing = shortfall(after, quota_pct)
    if mode == "wfh" and missing > 0:
        need = required_in_office(len(after), quota_pct)
        return (f"Kuota WFO {quota_pct}% ({need} orang) tidak terpenuhi bila pegawai ini WFH; "
                f"tetapkan pegawai lain WFO lebih dulu / the {quota_pct}% in-office quota ({need} people) "
                f"would not be met; assign someone else to the office first")
    return None
