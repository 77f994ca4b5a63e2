"""The cut-offs every retention reducer asks (services.contracts.rules.retention), pure: a record
exactly at its cut-off is kept and one second older is reduced; a day-counted period (closed places,
leavers) turns on the tenant's own local day, which differs between WIB, WITA and WIT at the same
instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.contracts.policy import local_date
from services.contracts.rules.retention import (
    DEFAULT_PERIODS,
    RetentionPeriods,
    cutoff,
    day_cutoff,
    day_expired,
    expired,
    periods_of,
)

NOW = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize("days", [1, 7, 30, 90, 730])
def test_a_record_exactly_at_the_cut_off_is_kept_and_one_second_older_is_reduced(days: int) -> None:
    at = cutoff(NOW, days)
    assert at == NOW - timedelta(days=days)
    assert not expired(at, NOW, days)
    assert expired(at - SECOND, NOW, days)
    assert not expired(at + SECOND, NOW, days)


@pytest.mark.parametrize("days", [0, 1, 90])
def test_a_day_counted_period_expires_whole_days_after_the_day(days: int) -> None:
    today = date(2026, 6, 30)
    last_kept = today - timedelta(days=days)
    assert day_cutoff(today, days) == last_kept
    assert not day_expired(last_kept, today, days), "the period's last day still keeps it"
    assert day_expired(last_kept - timedelta(days=1), today, days)
    assert not day_expired(today, today, days), "closed (or left) today: never expired yet"


@pytest.mark.parametrize(("zone", "today", "expired_"), [
    ("Asia/Jakarta", date(2026, 3, 31), False),  # WIB, UTC+7: 23:30 on the 31st
    ("Asia/Makassar", date(2026, 4, 1), True),  # WITA, UTC+8: 00:30 on the 1st
    ("Asia/Jayapura", date(2026, 4, 1), True),  # WIT, UTC+9: 01:30 on the 1st
])
def test_the_same_instant_is_another_day_in_wib_wita_and_wit(zone: str, today: date, expired_: bool) -> None:
    instant = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    assert local_date(instant, zone) == today
    closed = date(2026, 1, 1)  # a place closed on 1 January, a 89-day period
    assert day_expired(closed, local_date(instant, zone), 89) is expired_


@pytest.mark.parametrize(("zone", "local_midnight"), [
    ("Asia/Jakarta", datetime(2026, 4, 1, 17, 0, tzinfo=UTC)),  # WIB: 00:00 on 2 April is 17:00 UTC on the 1st
    ("Asia/Makassar", datetime(2026, 4, 1, 16, 0, tzinfo=UTC)),  # WITA
    ("Asia/Jayapura", datetime(2026, 4, 1, 15, 0, tzinfo=UTC)),  # WIT
])
def test_a_leaver_expires_at_the_tenant_s_local_midnight(zone: str, local_midnight: datetime) -> None:
    left, days = date(2026, 1, 1), 90
    assert day_cutoff(date(2026, 4, 1), days) == left, "1 April (local) is the period's last day"
    assert local_date(local_midnight - SECOND, zone) == date(2026, 4, 1)
    assert not day_expired(left, local_date(local_midnight - SECOND, zone), days)
    assert local_date(local_midnight, zone) == date(2026, 4, 2)
    assert day_expired(left, local_date(local_midnight, zone), days)


def test_stored_periods_are_read_with_their_defaults_and_bounds() -> None:
    assert periods_of(None) == periods_of({}) == DEFAULT_PERIODS
    assert periods_of({"notices_days": 60}) == RetentionPeriods(notices_days=60)
    assert periods_of({"notices_days": 60, "unknown": 1}).notices_days == 60, "a newer field is ignored"
    with pytest.raises(ValidationError):
        periods_of({"checkin_coordinates_days": 6})
