"""An employee's named places over time (home for WFH days, office for WFO days).

A place is identified by its name (``Rumah``, ``Kantor``) and has versions with
``valid_from`` / ``valid_until`` (inclusive, ``None`` = open). When someone moves,
:func:`set_place` gives the place new coordinates *from a day*: the version in
force is closed the day before, versions that would only have started on or after
that day are dropped (they never applied), and the new version is appended.
Earlier history is kept, so a check-in from last month is still judged against
last month's home.

Setting a place to what is already in force from that day on (same kind,
coordinates and radius, same end) changes nothing and returns the list as given:
re-importing the same personnel file is a no-op.

:func:`overlaps` finds two versions of one name that are in force on a common day,
which a request must not contain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from services.contracts.events import Place

_FAR_PAST = date.min
_FAR_FUTURE = date.max


def same_spot(a: Place, b: Place) -> bool:
    """Same kind, coordinates and radius (names and dates aside)."""
    return (a.kind, a.latitude, a.longitude, a.radius_m) == (b.kind, b.latitude, b.longitude, b.radius_m)


def _span(p: Place) -> tuple[date, date]:
    return (p.valid_from or _FAR_PAST, p.valid_until or _FAR_FUTURE)


def overlaps(places: Sequence[Place]) -> tuple[int, int] | None:
    """Indexes of the first two same-named versions in force on a common day, if any."""
    for i, a in enumerate(places):
        for j in range(i + 1, len(places)):
            b = places[j]
            if a.name != b.name:
                continue
            (a0, a1), (b0, b1) = _span(a), _span(b)
            if a0 <= b1 and b0 <= a1:
                return (i, j)
    return None


def set_place(places: Sequence[Place], new: Place, start: date | None) -> list[Place]:
    """``places`` with ``new`` in force from ``start`` (``None``: from always), see the module docstring."""
    new = new.model_copy(update={"valid_from": start})
    same = [p for p in places if p.name == new.name]
    others = [p for p in places if p.name != new.name]
    if start is None:
        if len(same) == 1 and same_spot(same[0], new) and same[0].valid_from is None \
                and same[0].valid_until == new.valid_until:
            return list(places)
        return [*others, new]
    current = next((p for p in same if _span(p)[0] <= start <= _span(p)[1]), None)
    later = [p for p in same if p.valid_from is not None and p.valid_from > start]
    if current is not None and not later and same_spot(current, new) and current.valid_until == new.valid_until:
        return list(places)
    kept: list[Place] = []
    for p in same:
        begin, end = _span(p)
        if end < start:
            kept.append(p)
        elif begin < start:
            kept.append(p.model_copy(update={"valid_until": start - timedelta(days=1)}))
        # versions starting on or after ``start`` never applied: dropped
    return [*others, *kept, new]
