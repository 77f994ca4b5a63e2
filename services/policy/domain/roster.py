"""Who works in the office (WFO) and who from home (WFH), day by day, in one unit.

:func:`build_roster` is deterministic and greedy:

- every working day the unit keeps ``required_in_office(headcount, quota_pct)``
  people in the office (:mod:`.quota`; the headcount includes exempt members);
- exempt members (teachers, front-line services, exempt units) are WFO every day
  and count toward that number; if they alone reach it, everyone else is WFH;
- the remaining office places go to the non-exempt members with the fewest WFO
  days so far (``history`` + days already assigned in this range), ties broken by
  member id. This is a round-robin: with no history, over the range every
  non-exempt member's WFO days are within one of every other's.

``history`` carries WFO days from before the range (e.g. the previous month) so
that the members who got the extra day last time do not get it again; with
history the spread of *totals* never grows beyond ``max(1, spread before)``.
Days are processed in calendar order and members in id order, so the result does
not depend on the order of the inputs. The days given are taken to be working
days; filtering weekends and holidays is the caller's job
(``contracts.rules.calendar.is_working_day``). Overrides by a unit head are applied by the
service on top of the built roster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.contracts.events import WorkMode
from services.contracts.rules.quota import required_in_office

Roster = dict[date, dict[str, WorkMode]]


@dataclass(frozen=True, slots=True)
class RosterMember:
    """A member of the unit being rostered; exempt members always work in the office."""

    id: str
    exempt: bool = False


def build_roster(
    members: Sequence[RosterMember],
    days: Sequence[date],
    quota_pct: int,
    history: Mapping[str, int] | None = None,
) -> Roster:
    """Assign WFO/WFH to every member on every day (rules in the module docstring)."""
    _check_unique((m.id for m in members), "ID anggota ganda / duplicate member id")
    _check_unique(days, "Tanggal ganda / duplicate day")
    history = history or {}
    if any(count < 0 for count in history.values()):
        raise ValueError("Riwayat WFO tidak boleh negatif / WFO history must not be negative")
    required = required_in_office(len(members), quota_pct)

    ordered = sorted(members, key=lambda m: m.id)
    exempt = [m.id for m in ordered if m.exempt]
    rotating = [m.id for m in ordered if not m.exempt]
    places = max(0, required - len(exempt))
    wfo_days = {member_id: history.get(member_id, 0) for member_id in rotating}

    roster: Roster = {}
    for day in sorted(days):
        chosen = set(sorted(rotating, key=lambda i: (wfo_days[i], i))[:places])
        for member_id in chosen:
            wfo_days[member_id] += 1
        roster[day] = {
            m.id: "wfo" if m.exempt or m.id in chosen else "wfh" for m in ordered
        }
    return roster


def wfo_counts(roster: Roster) -> dict[str, int]:
    """How many WFO days each member has in ``roster``."""
    counts: dict[str, int] = {}
    for assignments in roster.values():
        for member_id, mode in assignments.items():
            counts[member_id] = counts.get(member_id, 0) + (mode == "wfo")
    return counts


def _check_unique(values: Iterable[Hashable], message: str) -> None:
    duplicates = sorted((str(v) for v, n in Counter(values).items() if n > 1))
    if duplicates:
        raise ValueError(f"{message}: {', '.join(duplicates)}")
