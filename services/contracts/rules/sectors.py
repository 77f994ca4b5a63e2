"""A unit's sector, inherited up the unit tree.

Units form a tree: a department (OPD) with its branches, balai and UPT below it.
SE 800/258-BKD/2022 applies a department's category to its branches too, so a
sub-unit *inherits* the sector of the unit above it unless it states its own.

Two sources may state a unit's sector: the directory (a unit's own ``sector``)
and the circular letter in force (``PolicyContent.unit_sectors``). Walking from
the unit up to its root, the first unit that either source names decides; at the
same unit the letter wins over the directory, because the letter is the rule the
personnel agency signed. When the walk finds no statement the unit is
non-essential (25 %), the letter's "all others" — or, for a service whose copy of
the tree is cut short (a parent it has not heard of), the sector the directory
resolved for the unit. A unit nobody knows follows the same rule (the letter
names it, else non-essential). A broken tree (a cycle, a parent that does not
exist) never loops: the walk stops where the chain breaks.

The quota a sector sets is in :mod:`.quota`.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.contracts.policy import Sector

DEFAULT_SECTOR = Sector.NON_ESSENTIAL


def ancestry(unit_id: str, parents: Mapping[str, str | None]) -> list[str]:
    """``unit_id`` followed by its ancestors up to the root (stops at a cycle or an unknown id)."""
    chain: list[str] = []
    seen: set[str] = set()
    current: str | None = unit_id
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        if current not in parents:
            break
        current = parents[current]
    return chain


def would_cycle(unit_id: str, parent_id: str | None, parents: Mapping[str, str | None]) -> bool:
    """Whether giving ``unit_id`` the parent ``parent_id`` would make the tree a loop."""
    return parent_id is not None and unit_id in ancestry(parent_id, parents)


def resolve(
    unit_id: str,
    parents: Mapping[str, str | None],
    own: Mapping[str, Sector | str | None],
    letter: Mapping[str, Sector] | None = None,
    default: Sector | str = DEFAULT_SECTOR,
) -> Sector:
    """The sector that applies to ``unit_id`` (rules in the module docstring)."""
    letter = letter or {}
    for node in ancestry(unit_id, parents):
        if node in letter:
            return Sector(letter[node])
        stated = own.get(node)
        if stated:
            return Sector(stated)
    return Sector(default)


def resolve_all(
    parents: Mapping[str, str | None],
    own: Mapping[str, Sector | str | None],
    letter: Mapping[str, Sector] | None = None,
    defaults: Mapping[str, Sector | str] | None = None,
) -> dict[str, Sector]:
    """Every known unit's sector (``defaults``: per unit, what to use when the walk finds nothing)."""
    defaults = defaults or {}
    return {unit_id: resolve(unit_id, parents, own, letter, defaults.get(unit_id) or DEFAULT_SECTOR)
            for unit_id in parents}


def directory_sectors(parents: Mapping[str, str | None], own: Mapping[str, Sector | None]) -> dict[str, Sector]:
    """Every unit's effective sector from the directory alone (what ``directory.updated`` carries)."""
    return resolve_all(parents, own)
