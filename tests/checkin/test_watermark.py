"""How far back every accepted check-in is surely in the outbox (pure: :mod:`services.checkin.domain.watermark`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.checkin.domain.watermark import accepted_until

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def test_with_no_open_transaction_the_mark_is_the_clock() -> None:
    assert accepted_until(NOW, None) == NOW


def test_an_open_transaction_holds_the_mark_before_its_start() -> None:
    """A check-in received before that transaction started may commit after this read."""
    started = NOW - timedelta(seconds=30)
    assert accepted_until(NOW, started) == started
