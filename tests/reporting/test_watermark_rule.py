"""The pipeline's watermark and the closure decision (pure: :mod:`services.reporting.domain.watermark`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.reporting.domain.watermark import Mark, closure, watermark

T = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SETTLE, HOLD = timedelta(seconds=10), timedelta(minutes=5)


def grid(until: dict[tuple[int, int], datetime], partitions: int = 2, sources: int = 3) -> list[Mark]:
    return [Mark(q, partitions, p, sources, t) for (q, p), t in until.items()]


def test_the_watermark_is_unknown_until_every_pair_of_partitions_has_a_mark() -> None:
    assert watermark([]) is None
    partial = {(q, p): T for q in range(2) for p in range(3) if (q, p) != (1, 2)}
    assert watermark(grid(partial)) is None
    assert watermark(grid({**partial, (1, 2): T + timedelta(seconds=5)})) == T


def test_the_watermark_is_the_lowest_mark() -> None:
    marks = {(q, p): T + timedelta(seconds=q * 10 + p) for q in range(2) for p in range(3)}
    marks[(1, 1)] = T - timedelta(minutes=1)  # one partition behind holds everything back
    assert watermark(grid(marks)) == T - timedelta(minutes=1)


def test_a_window_closes_after_settle_once_the_watermark_passed_its_deadline() -> None:
    assert not closure(T, T + timedelta(seconds=9), T + timedelta(hours=1), settle=SETTLE, max_hold=HOLD).due
    decided = closure(T, T + SETTLE, T, settle=SETTLE, max_hold=HOLD)
    assert decided.due and not decided.forced


def test_a_stalled_pipeline_holds_the_closure_then_forces_it() -> None:
    behind = T - timedelta(seconds=1)
    for mark in (behind, None):
        assert not closure(T, T + SETTLE + HOLD - timedelta(seconds=1), mark, settle=SETTLE, max_hold=HOLD).due
        forced = closure(T, T + SETTLE + HOLD, mark, settle=SETTLE, max_hold=HOLD)
        assert forced.due and forced.forced
