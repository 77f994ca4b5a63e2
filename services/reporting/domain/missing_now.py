"""Who has not checked in yet for the window open now, with a way to reach them (pure).

The dashboard's "belum check-in" list (:mod:`services.reporting.web.missing_now` gathers the
facts and passes the clock):

- **the window open now** (:func:`open_window`): of the day's windows (:func:`.windows.day_windows`,
  each under the letter version policy judges its check-ins by), one whose start has come and whose
  deadline (end + grace: check-ins still count) has not, on a working day of its letter and the
  tenant's calendar. When windows overlap, the one whose deadline comes first (the most urgent),
  then the one that opened first. None: no window is open, and nobody is listed;
- **who is listed** (:func:`build`): the window's ledger rows as the one rule decides them before
  the deadline (:func:`.ledger.build_rows`) that are still pending — no check-in that fills the
  window (a returned one does not), not excused by an approved absence or correction. Someone the
  window is not asked of (a WFO day for a WFH-only kind, inactive, a non-working day) has no row;
- sorted by unit name, then name, then NIP (:func:`pending`; the first ``limit`` of them, with the
  total);
- **contact links** (:func:`links`) from the phone number reporting keeps: Indonesian numbers written
  ``08…``, ``8…``, ``62…`` or ``+62…`` (spaces, dots, dashes and brackets ignored; a stray ``0`` after
  the country code dropped) become ``+62…``; ``tel:+62…`` for every valid number, ``https://wa.me/62…``
  for mobile numbers (``+62 8…``) and numbers of other countries written with ``+``. A number that
  is none of these keeps no link (its text is still shown as stored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from services.contracts.policy import zone_abbreviation
from services.contracts.rules.calendar import TenantCalendar, is_working_day
from services.reporting.domain.ledger import LedgerRow
from services.reporting.domain.windows import DayWindow

SEPARATORS = re.compile(r"[\s().\-/]")
INDONESIA = "62"
NATIONAL_DIGITS = (7, 12)  # digits after +62: landlines with their area code, mobiles 8xx…
E164_DIGITS = (8, 15)


class OpenWindow(BaseModel):
    window_id: str
    window_name: str
    start: datetime = Field(description="in the tenant's local time (with its offset)")
    end: datetime = Field(description="in the tenant's local time (with its offset)")
    deadline: datetime = Field(description="end + grace, in the tenant's local time: check-ins count until then")


class MissingRow(BaseModel):
    employee_id: str = Field(description="NIP")
    name: str
    unit_id: str
    unit_name: str
    phone: str | None = Field(description="+62… when the number is valid, else as the directory has it; null: none")
    whatsapp_url: str | None = Field(description="https://wa.me/62… (mobile numbers); null: none")
    tel_url: str | None = Field(description="tel:+62…; null: no valid number")


class MissingNow(BaseModel):
    date: dt.date = Field(description="the tenant's local date now")
    timezone: str
    zone: str = Field(description="WIB, WITA or WIT")
    window: OpenWindow | None = Field(description="the window open now; null: none (then rows is empty)")
    total: int = Field(description="how many have not checked in yet (rows holds the first `limit` of them)")
    rows: list[MissingRow]


def open_window(windows: Sequence[DayWindow], day: date, now: datetime,
                calendar: TenantCalendar | None) -> DayWindow | None:
    """Of local ``day``'s windows, the one open at ``now`` (module docstring); None: none is."""
    open_ = [w for w in windows if w.bounds.start <= now < w.bounds.deadline and is_working_day(day, w.content,
                                                                                                   calendar)]
    return min(open_, key=lambda w: (w.bounds.deadline, w.bounds.start), default=None)


def pending(current: DayWindow, rows: Iterable[LedgerRow], unit_names: Mapping[str, str],
            limit: int) -> tuple[list[LedgerRow], int]:
    """``current``'s rows still pending, in the list's order, the first ``limit`` of them; and how
    many there are."""
    waiting = [r for r in rows if r.status is None and r.window_id == current.window.id]
    waiting.sort(key=lambda r: ((unit_names.get(r.unit_id) or r.unit_id).casefold(), r.unit_id, r.name.casefold(),
                                r.nip))
    return waiting[:limit], len(waiting)


def build(day: date, tz: str, current: DayWindow | None, listed: Iterable[LedgerRow], total: int,
          unit_names: Mapping[str, str], phones: Mapping[str, str]) -> MissingNow:
    """The answer: the window, and the ``listed`` rows (from :func:`pending`; ``total`` of them in all)
    with their unit's name and contact links; ``unit_names`` and ``phones`` by unit id and NIP."""
    zone = ZoneInfo(tz)
    if current is None:
        return MissingNow(date=day, timezone=tz, zone=zone_abbreviation(tz), window=None, total=0, rows=[])
    window = OpenWindow(
        window_id=current.window.id, window_name=current.window.name, start=current.bounds.start.astimezone(zone),
        end=current.bounds.end.astimezone(zone), deadline=current.bounds.deadline.astimezone(zone))
    rows = []
    for row in listed:
        phone, whatsapp, tel = links(phones.get(row.nip))
        rows.append(MissingRow(employee_id=row.nip, name=row.name, unit_id=row.unit_id,
                               unit_name=unit_names.get(row.unit_id) or row.unit_id, phone=phone,
                               whatsapp_url=whatsapp, tel_url=tel))
    return MissingNow(date=day, timezone=tz, zone=zone_abbreviation(tz), window=window, total=total, rows=rows)


def normalized(phone: str | None) -> str | None:
    """The number in E.164 without the ``+`` (``62812…``), or None when it is not a valid number."""
    if not phone:
        return None
    raw = SEPARATORS.sub("", phone)
    plus = raw.startswith("+")
    digits = raw[1:] if plus else raw
    if not digits.isdigit():
        return None
    if not plus:
        if digits.startswith("0"):
            digits = INDONESIA + digits[1:]
        elif digits.startswith("8"):
            digits = INDONESIA + digits
        elif not digits.startswith(INDONESIA):
            return None  # without a country code, only Indonesian numbers are understood
    if digits.startswith(INDONESIA):
        national = digits[len(INDONESIA):].removeprefix("0")
        if not NATIONAL_DIGITS[0] <= len(national) <= NATIONAL_DIGITS[1] or national.startswith("0"):
            return None
        return INDONESIA + national
    return digits if E164_DIGITS[0] <= len(digits) <= E164_DIGITS[1] else None


def links(phone: str | None) -> tuple[str | None, str | None, str | None]:
    """(phone as shown, WhatsApp URL, telephone URL) of a stored phone number (module docstring)."""
    number = normalized(phone)
    if number is None:
        return (phone.strip() or None) if phone else None, None, None
    mobile = not number.startswith(INDONESIA) or number.startswith(INDONESIA + "8")
    return f"+{number}", f"https://wa.me/{number}" if mobile else None, f"tel:+{number}"
