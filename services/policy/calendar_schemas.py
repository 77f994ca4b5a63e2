"""Request and response bodies of the tenant calendar (``/v1/tenant/calendar``, ``/v1/calendar``).

The body of a change is the contract's :class:`~services.contracts.rules.calendar.TenantCalendar`, held
to what a request may say: no unknown field, printable names, days within the years the national
calendar knows, each day at most once and never both added and removed (a 422 names the day, in
Bahasa Indonesia and English).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.rules.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DAYS,
    CalendarDay,
    HolidaySource,
    TenantCalendar,
)
from services.policy.schemas import Text
from services.runtime.api_docs import documented

CalendarDate = Annotated[date, Field(ge=date(FIRST_YEAR, 1, 1), le=date(LAST_YEAR, 12, 31), description="YYYY-MM-DD")]


class CalendarDayIn(CalendarDay):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: CalendarDate = Field(description="the day (YYYY-MM-DD)", examples=["2026-10-04"])
    name: Text = Field(min_length=1, max_length=120, description="what people read, e.g. a regional anniversary",
                       examples=["Hari Jadi Provinsi Banten"])


class CalendarIn(TenantCalendar):
    """A tenant's calendar: the national days it applies, the regional days it adds, the days it works anyway."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=documented({
        "national": (None, True), "cuti_bersama": (None, True)}))

    added: list[CalendarDayIn] = Field(default_factory=list, max_length=MAX_DAYS,  # type: ignore[assignment]
                                       description="regional holidays of the tenant",
                                       examples=[[{"date": "2026-10-04", "name": "Hari Jadi Provinsi Banten"}]])
    removed: list[CalendarDate] = Field(default_factory=list, max_length=MAX_DAYS, examples=[["2026-12-24"]],
                                        description="national or cuti bersama days the tenant works anyway")

    @model_validator(mode="after")
    def _unique(self) -> CalendarIn:
        for name, days in (("added", [d.date for d in self.added]), ("removed", list(self.removed))):
            twice = sorted(d for d, n in Counter(days).items() if n > 1)
            if twice:
                raise ValueError(f"{name}: tanggal {twice[0]} tercantum dua kali / {name}: {twice[0]} is listed twice")
        both = sorted({d.date for d in self.added} & set(self.removed))
        if both:
            raise ValueError(f"tanggal {both[0]} tidak bisa ditambah sekaligus dihapus / "
                             f"{both[0]} cannot be both added and removed")
        return self

    def calendar(self) -> TenantCalendar:
        return TenantCalendar.model_validate(self.model_dump(mode="json"))


class HolidayOut(BaseModel):
    date: date
    name: str
    source: HolidaySource = Field(description="national (libur nasional), cuti_bersama, regional (the tenant's "
                                              "own day) or letter (listed by the circular letter in force that day)")


class CalendarYearOut(BaseModel):
    year: int
    national: bool = Field(description="whether the tenant applies the national public holidays")
    cuti_bersama: bool = Field(description="whether the tenant applies the cuti bersama days")
    holidays: list[HolidayOut] = Field(description="every holiday of the year, by date")
