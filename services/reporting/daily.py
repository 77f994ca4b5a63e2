"""The daily report: per window, expected versus received (pure computation)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel

from services.contracts.policy import Window
from services.reporting.expectations import Person


class EvaluationFact(BaseModel):
    nip: str
    window_id: str | None
    status: str
    geofence: str
    suspicious: bool


class WindowSummary(BaseModel):
    window_id: str
    window_name: str
    deadline: datetime
    closed: bool
    expected: int
    on_time: int
    late: int
    missing: int
    pending: int
    outside_geofence: int
    suspicious: int


def summarize_window(
    window: Window, deadline: datetime, now: datetime, expected_people: Sequence[Person],
    evaluations: Iterable[EvaluationFact],
) -> WindowSummary:
    """Count each expected employee once: on time beats late; nobody counted is missing
    once the deadline has passed, pending before."""
    expected_ids = {p.nip for p in expected_people}
    best: dict[str, str] = {}
    outside: set[str] = set()
    suspicious: set[str] = set()
    for e in evaluations:
        if e.window_id != window.id or e.nip not in expected_ids:
            continue
        if e.status == "on_time" or (e.status == "late" and best.get(e.nip) != "on_time"):
            best[e.nip] = e.status
        if e.geofence == "outside":
            outside.add(e.nip)
        if e.suspicious:
            suspicious.add(e.nip)
    on_time = sum(1 for s in best.values() if s == "on_time")
    late = sum(1 for s in best.values() if s == "late")
    closed = now >= deadline
    rest = len(expected_ids) - on_time - late
    return WindowSummary(
        window_id=window.id, window_name=window.name, deadline=deadline, closed=closed,
        expected=len(expected_ids), on_time=on_time, late=late,
        missing=rest if closed else 0, pending=0 if closed else rest,
        outside_geofence=len(outside), suspicious=len(suspicious),
    )
