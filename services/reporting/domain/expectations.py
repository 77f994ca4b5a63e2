"""Who is expected to check in for a window: the shared rules applied to read-model facts.

The rules are :mod:`services.contracts.rules` — the same functions the policy service
judges check-ins by, so a check-in policy judges ``not_required`` is in a window
reporting never expects of that employee (no reminder, no overdue notice, not
counted missing), and a window reporting expects is filled by any check-in policy
judges in it:

- a unit's sector is inherited up the unit tree, the letter's mapping first
  (:mod:`~services.contracts.rules.sectors`);
- the day's work mode is WFO for exempt staff, else the roster's, else what the
  sector's quota implies, else unknown (:mod:`~services.contracts.rules.work_mode`);
- a window is expected on a working day of an active employee unless their day is
  WFO and the window asks only for WFH-only kinds
  (:mod:`~services.contracts.rules.requirement`).

This module only does the lookups set-based for thousands of people: the letter's
exemptions are read once, a unit's sector and quota-implied mode once per unit, and
a window's verdict once per work mode; each person then costs a few dict lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from services.contracts.events import WorkMode
from services.contracts.policy import PolicyContent, Window
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.requirement import requirement
from services.contracts.rules.sectors import resolve, resolve_all
from services.contracts.rules.work_mode import ExemptionRule, unit_mode, work_mode


@dataclass(frozen=True, slots=True)
class Person:
    nip: str
    unit_id: str
    active: bool = True
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class Placed:
    """A person with the day's facts the rules need: unit sector and work mode."""

    person: Person
    sector: str
    mode: str | None  # "wfo" | "wfh" | None (unknown)


@dataclass(frozen=True, slots=True)
class UnitFacts:
    id: str
    parent_id: str | None
    sector: str | None  # the unit's own statement
    effective_sector: str  # the directory's resolution (own or inherited)


def resolve_sectors(units: Iterable[UnitFacts], content: PolicyContent) -> dict[str, str]:
    """Every known unit's sector under the letter ``content``
    (:func:`services.contracts.rules.sectors.resolve`; where this copy of the tree is cut
    short, the directory's resolution)."""
    units = list(units)
    resolved = resolve_all({u.id: u.parent_id for u in units}, {u.id: u.sector for u in units},
                           content.unit_sectors, {u.id: u.effective_sector for u in units})
    return {unit_id: sector.value for unit_id, sector in resolved.items()}


def place(people: Iterable[Person], content: PolicyContent, unit_sectors: Mapping[str, str],
          roster: Mapping[str, str]) -> list[Placed]:
    """Every person with their unit's sector and the day's work mode (the letter read once,
    each unit's sector and quota-implied mode computed once)."""
    exemption = ExemptionRule.of(content)
    per_unit: dict[str, tuple[str, WorkMode | None]] = {}
    placed = []
    for p in people:
        unit = per_unit.get(p.unit_id)
        if unit is None:
            sector = unit_sectors.get(p.unit_id) or resolve(p.unit_id, {}, {}, content.unit_sectors).value
            unit = per_unit[p.unit_id] = (sector, unit_mode(content, sector))
        mode = work_mode(exempt=exemption.covers(p, p.unit_id), roster_mode=roster.get(p.nip),
                         unit_default=unit[1])
        placed.append(Placed(p, unit[0], mode))
    return placed


def expected_for_window(placed: Iterable[Placed], content: PolicyContent, day: date, window: Window,
                        calendar: TenantCalendar | None, excused: frozenset[str] = frozenset()) -> list[Placed]:
    """The people expected to check in for ``window`` on ``day`` in a tenant with ``calendar``
    (None: the national one); ``excused``: the NIPs an approved absence excuses that day."""
    asked = {(mode, active, absent): requirement(window.kinds, day, content=content, calendar=calendar,
                                                 active=active, mode=mode, absent=absent).required
             for mode in ("wfo", "wfh", None) for active in (True, False) for absent in (True, False)}
    return [p for p in placed if asked[(p.mode, p.person.active, p.person.nip in excused)]]

