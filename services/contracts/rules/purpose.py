"""Whoever reads another person's location data states why (UU PDP 27/2022: purpose limitation and
accountability). The one rule of what counts as a stated purpose, for every service that hands out
coordinates; the purpose is kept with the read in the access log (``LocationRead.purpose``).
"""

from __future__ import annotations

import re

PURPOSE_MIN, PURPOSE_MAX = 10, 500
SELF_ACCESS = "akses mandiri / self access"  # the purpose of an employee reading their own data
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def stated_purpose(value: str) -> str:
    """``value`` without its surrounding blanks when it is a purpose: printable, and 10 to 500
    characters once the blanks around it are gone; else a ``ValueError`` saying so in both languages."""
    text = value.strip()
    if _CONTROL.search(value) or not PURPOSE_MIN <= len(text) <= PURPOSE_MAX:
        raise ValueError(f"tujuan akses: {PURPOSE_MIN}-{PURPOSE_MAX} karakter yang dapat dicetak, tidak hanya "
                         f"spasi / the purpose of the read: {PURPOSE_MIN}-{PURPOSE_MAX} printable characters, "
                         "not only spaces")
    return text
