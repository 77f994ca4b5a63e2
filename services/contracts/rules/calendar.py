"""Which days a tenant works: the letter's week, the national calendar and the tenant's own days.

One rule, called by policy (verdicts, rosters), reporting (expectations, reports, scores) and
notify (office-day reminders). A local ``day`` is a **working day** of a tenant under a letter
when its ISO weekday is one of the letter's ``working_days`` and it is not a **holiday**. A day
is a holiday when any of these holds:

1. the letter lists it (``PolicyContent.holidays``);
2. the tenant added it (``TenantCalendar.added``: regional days, e.g. a regency's anniversary);
3. it is a national public holiday (*libur nasional*), unless the tenant switched the national
   calendar off or removed that day (``TenantCalendar.removed``);
4. it is a *cuti bersama* day (joint leave, SKB 3 Menteri), on the same terms, unless the tenant
   switched cuti bersama off.

National days come from the maintained ``holidays`` package (Indonesia, categories ``public``
and ``government``, names in Bahasa Indonesia); every service runs the same locked version, so
they agree. A tenant without a calendar of its own follows the national one
(:data:`DEFAULT_CALENDAR`).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal, NamedTuple

import holidays
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.policy import PolicyContent

HolidaySource = Literal["letter", "regional", "national", "cuti_bersama"]
FIRST_YEAR, LAST_YEAR = 2000, 2100  # outside these, no national days (the package's range is wider)
MAX_DAYS = 400  # added or removed days a tenant may list


class CalendarDay(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    name: str = Field(min_length=1, max_length=120, description="e.g. Hari Jadi Kabupaten")


class TenantCalendar(BaseModel):
    """A tenant's own part of the calendar (travels on the tenant record)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    national: bool = Field(default=True, description="apply the national public holidays (libur nasional)")
    cuti_bersama: bool = Field(default=True, description="apply the national joint-leave days (cuti bersama)")
    added: list[CalendarDay] = Field(default_factory=list, max_length=MAX_DAYS,
                                     description="regional holidays of the tenant")
    removed: list[date] = Field(default_factory=list, max_length=MAX_DAYS,
                                description="national or cuti bersama days the tenant works anyway")

    @model_validator(mode="after")
    def _unique(self) -> TenantCalendar:
        added = [d.date for d in self.added]
        if len(added) != len(set(added)):
            raise ValueError("added: a day is listed twice")
        if set(added) & set(self.removed):
            raise ValueError("a day cannot be both added and removed")
        return self


DEFAULT_CALENDAR = TenantCalendar()


class Holiday(NamedTuple):
    day: date
    name: str
    source: HolidaySource


@lru_cache(maxsize=256)
def national(year: int) -> tuple[Holiday, ...]:
    """Indonesia's national holidays and cuti bersama days of ``year``, by date."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return ()
    found: dict[date, Holiday] = {}
    for category, source in (("government", "cuti_bersama"), ("public", "national")):
        days = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
        for day, name in days.items():
            found[day] = Holiday(day, name, source)  # type: ignore[arg-type]  # a public holiday wins
    return tuple(sorted(found.values()))


def holidays_in(year: int, calendar: TenantCalendar | None, content: PolicyContent | None = None) -> list[Holiday]:
    """Every holiday of ``year`` for a tenant (module docstring), by date; a day listed by more
    than one source shows the first of letter, regional, national, cuti bersama."""
    calendar = calendar or DEFAULT_CALENDAR
    found: dict[date, Holiday] = {}
    removed = set(calendar.removed)
    for h in national(year):
        if (calendar.cuti_bersama if h.source == "cuti_bersama" else calendar.national) and h.day not in removed:
            found[h.day] = h
    for d in calendar.added:
        if d.date.year == year:
            found[d.date] = Holiday(d.date, d.name, "regional")
    for day in content.holidays if content is not None else ():
        if day.year == year:
            found[day] = Holiday(day, "Libur menurut surat edaran", "letter")
    return sorted(found.values())


def holiday(day: date, calendar: TenantCalendar | None, content: PolicyContent | None = None) -> Holiday | None:
    """The holiday ``day`` is for a tenant, if any."""
    return next((h for h in holidays_in(day.year, calendar, content) if h.day == day), None)


def is_working_day(day: date, content: PolicyContent, calendar: TenantCalendar | None) -> bool:
    """Whether a tenant with ``calendar`` works on local ``day`` under the letter ``content``."""
    if not content.is_letter_working_day(day):
        return False
    calendar = calendar or DEFAULT_CALENDAR
    if any(d.date == day for d in calendar.added):
        return False
    if day in calendar.removed:
        return True
    return not any(h.day == day and (calendar.cuti_bersama if h.source == "cuti_bersama" else calendar.national)
                   for h in national(day.year))
