"""NIP (Nomor Induk Pegawai), the 18-digit number of a civil servant (PNS).

Layout (Peraturan Kepala BKN 43/2007), e.g. ``19850312 201001 1 003``:

======  ======  ===============================================================
digits  part    meaning
======  ======  ===============================================================
1-8     birth   birth date ``YYYYMMDD``
9-14    TMT     first appointment as CPNS, year and month ``YYYYMM`` (the day
                is always the 1st)
15      gender  ``1`` male (pria), ``2`` female (wanita)
16-18   seq     sequence among people sharing the first 15 digits, ``001``-``999``
======  ======  ===============================================================

:func:`parse_nip` accepts the number with or without the customary spaces and
raises :class:`NipError` naming the first bad part, checked in this order:
``digits``, ``length``, ``birth_date``, ``appointment``, ``gender``, ``sequence``.

- ``birth_date``: a real calendar date, from 1900, not after ``today``;
- ``appointment``: month 01-12, not before the month of the 18th birthday (the
  TMT has month precision, so the birthday's own month is allowed), not after
  ``today``'s month.

PPPK staff have a *Nomor Induk PPPK* of the same length whose digits 13-14 are
not a month; this module validates PNS numbers only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

NipPart = Literal["length", "digits", "birth_date", "appointment", "gender", "sequence"]
Gender = Literal["male", "female"]

_GENDER_DIGITS: dict[str, Gender] = {"1": "male", "2": "female"}
_DIGITS_OF_GENDER = {g: d for d, g in _GENDER_DIGITS.items()}
_WHITESPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"[^0-9]")
_MIN_YEAR = 1900
_ADULT_AGE = 18


class NipError(ValueError):
    """An invalid NIP; ``part`` names the bad part, ``message`` says why (id / en)."""

    def __init__(self, part: NipPart, message: str) -> None:
        super().__init__(message)
        self.part: NipPart = part
        self.message = message

    def __repr__(self) -> str:
        return f"NipError({self.part!r}, {self.message!r})"


@dataclass(frozen=True, slots=True)
class Nip:
    """The parts of a valid NIP."""

    birth_date: date
    appointed: tuple[int, int]  # (year, month) of the first appointment as CPNS
    gender: Gender
    sequence: int

    def __str__(self) -> str:
        """The 18 digits, without spaces."""
        year, month = self.appointed
        return (
            f"{self.birth_date:%Y%m%d}{year:04d}{month:02d}"
            f"{_DIGITS_OF_GENDER[self.gender]}{self.sequence:03d}"
        )

    def spaced(self) -> str:
        """The customary display form, e.g. ``19850312 201001 1 003``."""
        s = str(self)
        return f"{s[:8]} {s[8:14]} {s[14]} {s[15:]}"


def parse_nip(text: str, *, today: date | None = None) -> Nip:
    """Parse and validate a NIP; raise :class:`NipError` naming the first bad part.

    ``today`` (default: the system date) bounds the birth date and the appointment.
    """
    today = today if today is not None else date.today()
    digits = _WHITESPACE.sub("", text)
    bad = _NON_DIGIT.search(digits)
    if bad is not None:
        raise NipError(
            "digits",
            f"NIP hanya boleh berisi angka / NIP must contain digits only: "
            f"{bad.group()!r} at position {bad.start() + 1}",
        )
    if len(digits) != 18:
        raise NipError(
            "length", f"NIP harus 18 digit / NIP must have 18 digits: got {len(digits)}"
        )
    birth = _birth_date(digits[:8], today)
    appointed = _appointment(digits[8:14], birth, today)
    gender = _GENDER_DIGITS.get(digits[14])
    if gender is None:
        raise NipError(
            "gender",
            "Kode jenis kelamin harus 1 (pria) atau 2 (wanita) / "
            f"gender digit must be 1 (male) or 2 (female): got {digits[14]!r}",
        )
    sequence = int(digits[15:])
    if sequence == 0:
        raise NipError(
            "sequence",
            f"Nomor urut harus 001-999 / sequence must be 001-999: got {digits[15:]!r}",
        )
    return Nip(birth, appointed, gender, sequence)


def _birth_date(part: str, today: date) -> date:
    try:
        born = date(int(part[:4]), int(part[4:6]), int(part[6:]))
    except ValueError:
        born = None
    if born is None or born.year < _MIN_YEAR:
        raise NipError(
            "birth_date", f"Tanggal lahir tidak valid / invalid birth date: {part!r} (YYYYMMDD)"
        )
    if born > today:
        raise NipError(
            "birth_date",
            f"Tanggal lahir di masa depan / birth date in the future: {born.isoformat()}",
        )
    return born


def _appointment(part: str, born: date, today: date) -> tuple[int, int]:
    year, month = int(part[:4]), int(part[4:])
    if not 1 <= month <= 12 or year < _MIN_YEAR:
        raise NipError(
            "appointment",
            "TMT pengangkatan CPNS tidak valid / invalid appointment year-month: "
            f"{part!r} (YYYYMM)",
        )
    if (year, month) < (born.year + _ADULT_AGE, born.month):
        raise NipError(
            "appointment",
            "TMT pengangkatan sebelum usia 18 tahun / appointment before the 18th birthday: "
            f"{year:04d}-{month:02d}, born {born.isoformat()}",
        )
    if (year, month) > (today.year, today.month):
        raise NipError(
            "appointment",
            "TMT pengangkatan di masa depan / appointment in the future: "
            f"{year:04d}-{month:02d} (today {today.isoformat()})",
        )
    return (year, month)
