"""The sector of a unit, which sets its in-office quota (:mod:`.quota`).

Units form a tree: a department (OPD) with its branches, balai and UPT below it.
SE 800/258-BKD/2022 applies a department's category to its branches too, so a
sub-unit *inherits* the sector of the unit above it unless it states its own.

Two sources may state a unit's sector: the directory (a unit's own ``sector``)
and the circular letter in force (``PolicyContent.unit_sectors``). Walking from
the unit up to its root, the first unit that either source names decides; at the
same unit the letter wins over the directory, because the letter is the rule the
personnel agency signed. With no statement anywhere a unit is non-essential (25 %),
the letter's "all others".

:func:`directory_sectors` resolves the directory alone: it is what
``directory.updated`` carries as a unit's ``effective_sector``. A broken tree (a
cycle, a parent that does not exist) never loops: the walk stops where the chain
breaks.
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
    own: Mapping[str, Sector | None],
    letter: Mapping[str, Sector] | None = None,
) -> Sector:
    """The sector that applies to ``unit_id`` (rules in the module docstring)."""
    letter = letter or {}
    for node in ancestry(unit_id, parents):
        if node in letter:
            return Sector(letter[node])
        stated = own.get(node)
        if stated is not None:
            return Sector(stated)
    return DEFAULT_SECTOR


def directory_sectors(
    parents: Mapping[str, str | None], own: Mapping[str, Sector | None]
) -> dict[str, Sector]:
    """Every unit's effective sector from the directory alone."""
    return {unit_id: resolve(unit_id, parents, own) for unit_id in parents}
