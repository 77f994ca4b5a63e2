"""Who is expected to check in, by pure rules on read-model facts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from services.contracts.policy import PolicyContent, Role


@dataclass(frozen=True)
class Person:
    nip: str
    unit_id: str
    active: bool = True
    is_teacher: bool = False
    is_front_line: bool = False


def is_exempt(person: Person, content: PolicyContent) -> bool:
    """Exempt people always work in the office, so nothing is expected from home."""
    roles = set(content.exemptions.roles)
    return (
        (Role.TEACHER in roles and person.is_teacher)
        or (Role.FRONT_LINE in roles and person.is_front_line)
        or person.unit_id in content.exemptions.unit_ids
    )


def expected(
    people: Iterable[Person], content: PolicyContent, day: date, roster: Mapping[str, str]
) -> list[Person]:
    """Active, non-exempt people working from home that day (a roster's WFO day
    excuses them; with no roster for the day, everyone not exempt is expected)."""
    if not content.is_working_day(day):
        return []
    return [
        p for p in people
        if p.active and not is_exempt(p, content) and roster.get(p.nip, "wfh") == "wfh"
    ]
