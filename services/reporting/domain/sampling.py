"""The BKD's reproducible sample of a day's location check-ins ("akan kami verifikasi sampling") (pure).

For one unit and day, the candidates are that day's location check-ins of the unit's
employees. :func:`draw` sorts them by check-in id and draws ``size`` of them (all when
there are fewer) with a generator seeded by ``tenant:day:unit:seed`` — uniform, and the
same day, seed and check-ins give the same sample on every call and every instance (a
string seed makes :class:`random.Random` hash it with SHA-512, independent of
``PYTHONHASHSEED``). A check-in arriving later can change the sample: the facts changed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date

DEFAULT_SIZE = 5
MIN_SIZE, MAX_SIZE = 1, 100


def draw(candidates: Iterable[str], *, tenant: str, day: date, unit_id: str, seed: str, size: int) -> list[str]:
    """The sampled check-in ids, in check-in id order."""
    ordered = sorted(set(candidates))
    chosen = random.Random(f"{tenant}:{day.isoformat()}:{unit_id}:{seed}").sample(ordered, min(size, len(ordered)))
    return sorted(chosen)
