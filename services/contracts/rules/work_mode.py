"""Exemptions and the day's work mode of an employee: in the office, at home, or unknown.

The *work mode* of a day is, in order (the first that applies decides):

1. ``"wfo"`` for an **exempt** employee: a role in ``exemptions.roles`` (teacher,
   front-line service, unit head — flags on the employee record) or a unit in
   ``exemptions.unit_ids`` (the employee's own unit, not its sub-units). Exemption is
   the letter's and wins over the roster: "who always works in the office, whatever
   the quota";
2. otherwise the roster's mode for that day, if there is one;
3. otherwise what the quota of the unit's sector implies (:mod:`.sectors`, the SE
   default for a sector the letter does not list): 100 % → ``"wfo"``, 0 % → ``"wfh"``;
4. otherwise unknown (``None``).

The rule is split so that a caller placing thousands of people does the per-unit
part once: :class:`ExemptionRule` reads the letter once, :func:`unit_mode` is per
unit, :func:`work_mode` combines them per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.contracts.events import WorkMode
from services.contracts.policy import PolicyContent, Role, Sector
from services.contracts.rules.quota import quota_pct


class HasRoles(Protocol):
    """The role flags of an employee (the directory's record or a read model of it)."""

    @property
    def is_teacher(self) -> bool: ...
    @property
    def is_front_line(self) -> bool: ...
    @property
    def is_unit_head(self) -> bool: ...


def roles_of(person: HasRoles) -> frozenset[Role]:
    """The role flags of an employee as :class:`Role` values."""
    flags = {Role.TEACHER: person.is_teacher, Role.FRONT_LINE: person.is_front_line,
             Role.UNIT_HEAD: person.is_unit_head}
    return frozenset(role for role, on in flags.items() if on)


@dataclass(frozen=True, slots=True)
class ExemptionRule:
    """The letter's exemptions, read once."""

    teacher: bool
    front_line: bool
    unit_head: bool
    unit_ids: frozenset[str]

    @classmethod
    def of(cls, content: PolicyContent) -> ExemptionRule:
        roles = set(content.exemptions.roles)
        return cls(Role.TEACHER in roles, Role.FRONT_LINE in roles, Role.UNIT_HEAD in roles,
                   frozenset(content.exemptions.unit_ids))

    def covers(self, person: HasRoles | None, unit_id: str | None) -> bool:
        """Whether the letter keeps this employee (or, unknown, this unit) in the office."""
        if unit_id is not None and unit_id in self.unit_ids:
            return True
        return person is not None and (
            (self.teacher and person.is_teacher) or (self.front_line and person.is_front_line)
            or (self.unit_head and person.is_unit_head))


def is_exempt(person: HasRoles | None, unit_id: str | None, content: PolicyContent) -> bool:
    """Whether the policy keeps this employee in the office whatever the quota."""
    return ExemptionRule.of(content).covers(person, unit_id)


def unit_mode(content: PolicyContent, sector: Sector | str) -> WorkMode | None:
    """What the quota of a unit's sector implies on its own: 100 % → WFO, 0 % → WFH, else unknown."""
    quota = quota_pct(content, sector)
    if quota == 100:
        return "wfo"
    if quota == 0:
        return "wfh"
    return None


def work_mode(*, exempt: bool, roster_mode: str | None, unit_default: WorkMode | None) -> WorkMode | None:
    """The day's work mode from its three sources, in the order of the module docstring."""
    if exempt:
        return "wfo"
    if roster_mode == "wfo":
        return "wfo"
    if roster_mode == "wfh":
        return "wfh"
    return unit_default


def work_mode_of(content: PolicyContent, person: HasRoles | None, unit_id: str | None, sector: Sector | str,
                 roster_mode: str | None) -> WorkMode | None:
    """One person's work mode (for many people, read the letter once: module docstring)."""
    return work_mode(exempt=is_exempt(person, unit_id, content), roster_mode=roster_mode,
                     unit_default=unit_mode(content, sector))
