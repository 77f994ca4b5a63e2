"""Who is expected to check in for a window, by pure rules on read-model facts.

The rules mirror the policy service's requirement rules (services never import
each other, so they are restated here; a candidate for ``services/contracts``):

- nothing is expected on a non-working day (``working_days``, ``holidays``) or of
  an inactive employee;
- the day's *work mode* is ``wfo`` for an exempt employee (a role listed in
  ``exemptions.roles`` — teacher, front-line, unit head — or a unit in
  ``exemptions.unit_ids``); else the roster's mode for the day; else what the
  unit's sector quota implies (100 % → ``wfo``, 0 % → ``wfh``); else unknown;
- kinds only people at home do (:data:`WFH_ONLY_KINDS`: location shares, the video
  conference, the activity report) are not expected on a ``wfo`` day; attendance
  is expected of everyone. A window is expected when any of its kinds is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from services.contracts.policy import DEFAULT_QUOTAS, CheckinKind, PolicyContent, Role, Sector, Window

WFH_ONLY_KINDS = frozenset({CheckinKind.LOCATION, CheckinKind.VIDEO_CONFERENCE, CheckinKind.ACTIVITY_REPORT})


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


def is_exempt(person: Person, content: PolicyContent) -> bool:
    """Exempt people always work in the office, whatever the quota."""
    if person.unit_id in content.exemptions.unit_ids:
        return True
    roles = set(content.exemptions.roles)
    return (
        (Role.TEACHER in roles and person.is_teacher)
        or (Role.FRONT_LINE in roles and person.is_front_line)
        or (Role.UNIT_HEAD in roles and person.is_unit_head)
    )


@dataclass(frozen=True, slots=True)
class UnitFacts:
    id: str
    parent_id: str | None
    sector: str | None  # the unit's own statement
    effective_sector: str  # the directory's resolution (own or inherited)


def resolve_sectors(units: Iterable[UnitFacts], content: PolicyContent) -> dict[str, str]:
    """Every unit's sector: walking from the unit up to its root, the first unit that the
    letter (``unit_sectors``) or the directory (a unit's own sector) names decides, the
    letter first at the same unit; else non-essential — the policy service's rule."""
    by_id = {u.id: u for u in units}
    letter = {k: v.value for k, v in content.unit_sectors.items()}
    resolved: dict[str, str] = {}
    for unit_id, unit in by_id.items():
        seen: set[str] = set()
        node: UnitFacts | None = unit
        sector: str | None = None
        while node is not None and node.id not in seen:
            seen.add(node.id)
            if node.id in letter:
                sector = letter[node.id]
                break
            if node.sector:
                sector = node.sector
                break
            node = by_id.get(node.parent_id) if node.parent_id else None
        resolved[unit_id] = sector or unit.effective_sector
    return resolved


def unit_sector(unit_id: str, unit_sectors: Mapping[str, str], content: PolicyContent) -> str:
    """The resolved sector of a known unit; for an unknown one the letter's, else non-essential."""
    known = unit_sectors.get(unit_id)
    if known:
        return known
    fallback = content.unit_sectors.get(unit_id)
    return fallback.value if fallback is not None else Sector.NON_ESSENTIAL.value


def quota_pct(content: PolicyContent, sector: str) -> int:
    """The in-office percentage the letter sets for ``sector`` (SE 800/258 default if absent)."""
    try:
        key = Sector(sector)
    except ValueError:
        key = Sector.NON_ESSENTIAL
    return content.sector_quotas.get(key, DEFAULT_QUOTAS[key])


def work_mode(person: Person, content: PolicyContent, sector: str, roster_mode: str | None) -> str | None:
    if is_exempt(person, content):
        return "wfo"
    if roster_mode in ("wfo", "wfh"):
        return roster_mode
    try:
        quota = content.sector_quotas.get(Sector(sector))
    except ValueError:
        quota = None
    if quota == 100:
        return "wfo"
    if quota == 0:
        return "wfh"
    return None


def place(people: Iterable[Person], content: PolicyContent, unit_sectors: Mapping[str, str],
          roster: Mapping[str, str]) -> list[Placed]:
    """Every person with their unit's sector and the day's work mode (rules as in
    :func:`work_mode`, with the letter's lookups done once)."""
    roles = set(content.exemptions.roles)
    teacher, front_line, head = Role.TEACHER in roles, Role.FRONT_LINE in roles, Role.UNIT_HEAD in roles
    exempt_units = set(content.exemptions.unit_ids)
    sectors: dict[str, str] = {}
    modes: dict[str, str | None] = {}
    placed = []
    for p in people:
        sector = sectors.get(p.unit_id)
        if sector is None:
            sector = sectors[p.unit_id] = unit_sector(p.unit_id, unit_sectors, content)
            modes[p.unit_id] = work_mode(Person(nip="", unit_id=p.unit_id), content, sector, None)
        if (p.unit_id in exempt_units or (teacher and p.is_teacher) or (front_line and p.is_front_line)
                or (head and p.is_unit_head)):
            mode: str | None = "wfo"
        else:
            rostered = roster.get(p.nip)
            mode = rostered if rostered in ("wfo", "wfh") else modes[p.unit_id]
        placed.append(Placed(p, sector, mode))
    return placed


def window_expected(window: Window, mode: str | None) -> bool:
    """Whether a window is asked of someone whose day has work ``mode``."""
    if mode != "wfo":
        return True
    return any(kind not in WFH_ONLY_KINDS for kind in window.kinds)


def expected_for_window(placed: Iterable[Placed], content: PolicyContent, day: date, window: Window) -> list[Placed]:
    """The people expected to check in for ``window`` on ``day``."""
    if not content.is_working_day(day):
        return []
    return [p for p in placed if p.person.active and window_expected(window, p.mode)]


def expected(people: Iterable[Person], content: PolicyContent, day: date, roster: Mapping[str, str],
             window: Window | None = None, unit_sectors: Mapping[str, str] | None = None) -> list[Person]:
    """Convenience: the people expected for ``window`` (any window when None)."""
    placed = place(people, content, unit_sectors or {}, roster)
    if window is None:
        if not content.is_working_day(day):
            return []
        return [p.person for p in placed if p.person.active
                and any(window_expected(w, p.mode) for w in content.windows)]
    return [p.person for p in expected_for_window(placed, content, day, window)]
