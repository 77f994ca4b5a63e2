"""The unit tree (OPD, branches, balai, UPT) a tenant may hold, as pure rules.

A unit's parent must be a unit the tenant holds (already stored, or written together
with it), never the unit itself nor one of its own sub-units: the tree has no loops.
:func:`tree_problems` names every unit of a write that breaks this, in both languages;
a unit whose parent is rejected is rejected too, so what remains is always a tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.contracts.events import UnitKind
from services.contracts.policy import Sector
from services.contracts.rules.sectors import ancestry


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """What a client says about one unit (its own sector may be ``None``: inherit)."""

    id: str
    name: str
    kind: UnitKind = "department"
    parent_id: str | None = None
    sector: Sector | None = None
    active: bool = True


def tree_problems(existing_parents: Mapping[str, str | None], specs: Sequence[UnitSpec]) -> dict[str, tuple[str, str]]:
    """Units of ``specs`` whose parent is unknown or would close a loop: ``{id: (indonesian, english)}``.

    A spec whose parent is itself rejected is rejected too, until the rest is consistent.
    """
    problems: dict[str, tuple[str, str]] = {}
    valid = {s.id: s for s in specs}
    while True:
        parents = dict(existing_parents)
        parents.update({s.id: s.parent_id for s in valid.values()})
        bad: dict[str, tuple[str, str]] = {}
        for s in valid.values():
            if s.parent_id is None:
                continue
            if s.parent_id == s.id:
                bad[s.id] = ("unit tidak boleh menjadi induknya sendiri", "a unit cannot be its own parent")
            elif s.parent_id not in parents:
                bad[s.id] = (f"unit induk {s.parent_id!r} tidak ada", f"unknown parent unit {s.parent_id!r}")
            elif s.id in ancestry(s.parent_id, parents):
                bad[s.id] = (f"unit induk {s.parent_id!r} membuat struktur melingkar",
                             f"parent {s.parent_id!r} would make the unit tree a loop")
        if not bad:
            return problems
        problems.update(bad)
        for unit_id in bad:
            valid.pop(unit_id)
