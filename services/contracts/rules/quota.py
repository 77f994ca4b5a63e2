"""How many people a unit keeps in the office on a working day.

SE 800/258-BKD/2022 of Pemprov Banten sets the in-office share by sector:
critical 100 %, essential 50 %, all others 25 %. The share is read as a
**minimum** and rounded **up**: 25 % of 5 people is 1.25, so 2 stay in the office
(rounding down would leave the office short of its quota). A unit with at least
one person and a quota above 0 % therefore always keeps someone in the office.
"""

from __future__ import annotations

from services.contracts.policy import DEFAULT_QUOTAS, PolicyContent, Sector


def required_in_office(headcount: int, quota_pct: int) -> int:
    """``ceil(headcount * quota_pct / 100)``, computed exactly in integers."""
    if headcount < 0:
        raise ValueError(
            f"Jumlah pegawai tidak boleh negatif / headcount must not be negative: {headcount}"
        )
    if not 0 <= quota_pct <= 100:
        raise ValueError(f"Kuota harus 0-100 persen / quota must be 0-100 percent: {quota_pct}")
    return -(-headcount * quota_pct // 100)


def quota_pct(content: PolicyContent, sector: Sector | str) -> int:
    """The in-office percentage the letter sets for ``sector``: the letter's, else the SE
    800/258 default; an unknown sector counts as non-essential. Every use of a quota —
    the day's work mode, rosters, the in-office share in reports — reads it here."""
    try:
        key = Sector(sector)
    except ValueError:
        key = Sector.NON_ESSENTIAL
    return content.sector_quotas.get(key, DEFAULT_QUOTAS[key])
