"""The sector and in-office quota a policy notice states to each employee.

The notice says what the letter means for the reader's unit, so it must say what the
policy service applies: the unit's sector is :func:`services.contracts.rules.sectors.resolve`
(the letter's mapping first, inherited up the unit tree; where notify's copy of the tree
is cut short, the sector the directory resolved) and the quota is
:func:`services.contracts.rules.quota.quota_pct` (the letter's, else the SE 800/258
default). Someone without a unit is told no sector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules.quota import quota_pct
from services.contracts.rules.sectors import resolve, resolve_all


class UnitFacts(NamedTuple):
    """What notify keeps of a unit from ``directory.updated``."""

    id: str
    parent_id: str | None
    sector: str | None  # the unit's own statement
    effective_sector: str | None  # the directory's resolution (own or inherited)


class SectorQuota(NamedTuple):
    sector: Sector | None
    quota: int | None


def unit_sectors(units: Iterable[UnitFacts], content: PolicyContent) -> dict[str, Sector]:
    """Every known unit's sector under the letter ``content`` (the shared rule, run once per tenant)."""
    units = list(units)
    return resolve_all({u.id: u.parent_id for u in units}, {u.id: u.sector for u in units},
                       content.unit_sectors, {u.id: u.effective_sector for u in units if u.effective_sector})


def stated(unit_id: str | None, sectors: Mapping[str, Sector], content: PolicyContent) -> SectorQuota:
    """The sector and quota to state to a member of ``unit_id`` (``sectors``: :func:`unit_sectors`)."""
    if not unit_id:
        return SectorQuota(None, None)
    sector = sectors.get(unit_id) or resolve(unit_id, {}, {}, content.unit_sectors)
    return SectorQuota(sector, quota_pct(content, sector))
