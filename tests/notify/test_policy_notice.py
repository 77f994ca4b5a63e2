"""The sector and quota a policy notice states are the ones the shared rules give.

Notify used to keep its own lookup (the letter's mapping for the unit itself, else the
directory's resolution; the quota only when the letter listed the sector). It
disagreed with :mod:`services.contracts.rules` — the rules policy judges by — when the
letter names a parent unit, and when the letter leaves a sector's quota to the SE
default. Each case states the answer and checks it against the shared rules run on the
whole directory, as the policy service runs them.
"""

from __future__ import annotations

import pytest

from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules.quota import quota_pct
from services.contracts.rules.sectors import resolve
from services.notify.domain.policy_notice import SectorQuota, UnitFacts, stated, unit_sectors

C, E, N = Sector.CRITICAL, Sector.ESSENTIAL, Sector.NON_ESSENTIAL

# The directory: a department with two branches, and a second department.
# unit: (parent, own statement, the directory's resolution)
DIRECTORY: dict[str, tuple[str | None, Sector | None, Sector]] = {
    "opd": (None, E, E),
    "upt": ("opd", None, E),  # inherits the department's sector
    "balai": ("opd", N, N),  # states its own
    "lain": (None, None, N),
}


def facts(directory: dict[str, tuple[str | None, Sector | None, Sector]]) -> list[UnitFacts]:
    return [UnitFacts(u, parent, own.value if own else None, eff.value)
            for u, (parent, own, eff) in directory.items()]


def shared_rule(unit_id: str, content: PolicyContent) -> SectorQuota:
    """What the policy service applies: the shared rules on the whole directory."""
    parents = {u: parent for u, (parent, _, _) in DIRECTORY.items()}
    own = {u: stated_ for u, (_, stated_, _) in DIRECTORY.items()}
    sector = resolve(unit_id, parents, own, content.unit_sectors)
    return SectorQuota(sector, quota_pct(content, sector))


ALL_QUOTAS = {C: 100, E: 50, N: 25}


@pytest.mark.parametrize(("unit_id", "letter", "quotas", "expected"), [
    ("upt", {}, ALL_QUOTAS, (E, 50)),  # the directory alone
    ("upt", {"opd": C}, ALL_QUOTAS, (C, 100)),  # the letter names the parent: inherited (was E, 50)
    ("balai", {"opd": C}, ALL_QUOTAS, (N, 25)),  # a branch's own statement is nearer than the parent's
    ("upt", {"upt": N}, ALL_QUOTAS, (N, 25)),  # the letter names the unit itself
    ("opd", {"opd": C}, {C: 80}, (C, 80)),  # the letter's quota
    ("lain", {}, {C: 100, E: 60}, (N, 25)),  # a sector the letter leaves out: the SE default (was none)
    ("baru", {"baru": E}, ALL_QUOTAS, (E, 50)),  # a unit notify has not heard of: the letter's
    ("baru", {}, ALL_QUOTAS, (N, 25)),  # ... else non-essential (was none)
])
def test_the_notice_states_what_the_shared_rules_give(unit_id: str, letter: dict[str, Sector],
                                                      quotas: dict[Sector, int],
                                                      expected: tuple[Sector, int]) -> None:
    content = PolicyContent(unit_sectors=letter, sector_quotas=quotas)
    told = stated(unit_id, unit_sectors(facts(DIRECTORY), content), content)
    assert told == expected
    assert told == shared_rule(unit_id, content)


def test_a_tree_cut_short_falls_back_to_the_directory_resolution() -> None:
    # notify heard of the branch but not (yet) of its department
    known = {"upt": ("opd", None, C)}
    content = PolicyContent(unit_sectors={}, sector_quotas=ALL_QUOTAS)
    assert stated("upt", unit_sectors(facts(known), content), content) == (C, 100)
    content = PolicyContent(unit_sectors={"opd": E}, sector_quotas=ALL_QUOTAS)
    assert stated("upt", unit_sectors(facts(known), content), content) == (E, 50)


def test_someone_without_a_unit_is_told_no_sector() -> None:
    content = PolicyContent()
    assert stated(None, unit_sectors(facts(DIRECTORY), content), content) == (None, None)
