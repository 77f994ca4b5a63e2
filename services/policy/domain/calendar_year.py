"""A tenant's holidays of one year as ``GET /v1/calendar`` shows them, as a pure builder.

Each day is named by the one calendar rule (:func:`services.contracts.rules.calendar.holidays_in`):
the tenant's calendar gives the national, cuti bersama and regional days; a day a circular letter
lists counts (as ``letter``, first of the sources) only when that letter's version is the one that
applies to the day (:func:`services.contracts.rules.versions.for_day`, with everything known now,
scheduled versions included, withdrawn ones never passed in).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.contracts.policy import PolicyContent
from services.contracts.rules.calendar import Holiday, TenantCalendar, holidays_in
from services.contracts.rules.versions import Dated, for_day


def year_holidays(year: int, calendar: TenantCalendar,
                  letters: Sequence[tuple[Dated, PolicyContent]]) -> list[Holiday]:
    """The holidays of ``year`` for a tenant with ``calendar`` under its letter versions ``letters``."""
    found = {h.day: h for h in holidays_in(year, calendar)}
    versions = [v for v, _ in letters]
    for version, content in letters:
        for h in holidays_in(year, calendar, content):
            if h.source == "letter" and for_day(versions, h.day) is version:
                found[h.day] = h
    return sorted(found.values())
