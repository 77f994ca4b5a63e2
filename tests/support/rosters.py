"""Roster histories for the tests of ``roster.published``: changes as policy makes them, the
events it publishes for them (:func:`services.contracts.rules.rosters.events`), and what
policy holds after them — what every consumer must end with, in whatever order and however
often the events arrive."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.contracts.events import RosterAssignment, RosterPublished, RosterScope, WorkMode
from services.contracts.rules import rosters

Held = dict[tuple[str, date], tuple[str, str]]  # (nip, day) -> (unit, mode)


@dataclass(frozen=True)
class Change:
    unit_id: str
    start: date
    end: date
    assignments: tuple[RosterAssignment, ...]
    replaces: RosterScope


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def generated(unit_id: str, span: Sequence[date], nips: Sequence[str], seed: int) -> Change:
    """A generated roster of ``nips`` over ``span``: one in three in the office, rotating."""
    modes: list[RosterAssignment] = [
        RosterAssignment(employee_id=n, date=d, mode="wfo" if (i + k + seed) % 3 == 0 else "wfh")
        for i, n in enumerate(nips) for k, d in enumerate(span)]
    return Change(unit_id, span[0], span[-1], tuple(sorted(modes, key=lambda a: (a.employee_id, a.date))), "range")


def overridden(unit_id: str, nip: str, day: date, mode: WorkMode) -> Change:
    return Change(unit_id, day, day, (RosterAssignment(employee_id=nip, date=day, mode=mode, reason="Piket"),),
                  "assignments")


def published(changes: Sequence[Change], size: int = rosters.CHUNK) -> list[RosterPublished]:
    """The events of the changes, revisions 1, 2, … in order."""
    return [e for revision, c in enumerate(changes, start=1)
            for e in rosters.events(c.unit_id, c.start, c.end, c.assignments, replaces=c.replaces,
                                    revision=revision, size=size)]


def held_by_policy(changes: Sequence[Change]) -> Held:
    """Policy's roster after the changes, made one after the other: a generation deletes the
    unit's entries in its range and writes its own; an override writes its entry."""
    held: Held = {}
    for c in changes:
        if c.replaces == "range":
            held = {k: v for k, v in held.items() if not (v[0] == c.unit_id and c.start <= k[1] <= c.end)}
        held |= {(a.employee_id, a.date): (c.unit_id, a.mode) for a in c.assignments}
    return held


def a_history(first: date) -> list[Change]:
    """Two units over a week: overrides, a regeneration over part of the week that replaces an
    override and leaves out an employee who moves to the other unit, a range emptied."""
    week = days(first, 7)
    a_staff = [f"19800101200501100{i}" for i in range(6)]
    moved = a_staff[5]
    return [
        generated("a", week[:5], a_staff, seed=0),
        overridden("a", a_staff[1], week[2], "wfo"),
        overridden("a", a_staff[4], week[0], "wfo"),
        generated("a", week[2:], a_staff[:5], seed=1),  # replaces the first override, leaves out `moved`
        generated("b", week, [moved], seed=2),
        overridden("a", a_staff[0], week[5], "wfo"),
        generated("a", week[6:], [], seed=0),  # nobody in "a" on the last day any more
        overridden("b", moved, week[1], "wfh"),
    ]


def deliveries(events: Sequence[RosterPublished], rng: random.Random, again: int = 5) -> list[RosterPublished]:
    """The events in a shuffled order, ``again`` of them delivered twice."""
    order = list(events) + rng.sample(list(events), again)
    rng.shuffle(order)
    return order
