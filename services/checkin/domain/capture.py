"""When a capture time is acceptable (pure): at most 5 minutes ahead of the server clock
(device skew) and at most the late-submission limit of the letter version the check-in
was captured under behind it (72 h when no version is known).

Which version that is, is the shared rule
:func:`services.contracts.rules.versions.at_capture`, the one the policy service
judges the check-in by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.checkin.domain.idempotency import Candidate
from services.contracts.policy import local_date
from services.contracts.rules.versions import Dated, at_capture

MAX_FUTURE_SKEW = timedelta(minutes=5)
DEFAULT_LATE_LIMIT_HOURS = 72


class PolicyTerms(Dated, Protocol):
    """What the read model keeps of one circular-letter version (``policy.updated``)."""

    @property
    def late_submission_limit_hours(self) -> int: ...


@dataclass(frozen=True)
class Rejection:
    field: str
    type: str
    msg: str


def late_limit_hours(terms: Iterable[PolicyTerms], captured_at: datetime, tz: str) -> int:
    """The limit of the version the check-in was captured under (the shared
    :func:`~services.contracts.rules.versions.at_capture`, as the policy service
    chooses it); no such version → 72 h."""
    try:
        day = local_date(captured_at, tz)
    except (OverflowError, ValueError):  # a capture time outside any calendar we handle
        return DEFAULT_LATE_LIMIT_HOURS
    version = at_capture(terms, day, captured_at)
    return version.late_submission_limit_hours if version is not None else DEFAULT_LATE_LIMIT_HOURS


def check_capture_time(captured_at: datetime, now: datetime, limit_hours: int) -> Rejection | None:
    """``captured_at`` may be at most 5 minutes ahead of the server clock (device skew) and
    at most the policy's late-submission limit behind it."""
    if captured_at - now > MAX_FUTURE_SKEW:
        return Rejection(
            "captured_at", "captured_in_future",
            "Waktu pengambilan lebih dari 5 menit di masa depan; periksa jam perangkat / "
            "more than 5 minutes in the future; check the device clock",
        )
    if now - captured_at > timedelta(hours=limit_hours):
        return Rejection(
            "captured_at", "submitted_too_late",
            f"Terlambat dikirim: lebih dari {limit_hours} jam setelah waktu pengambilan (batas kebijakan) / "
            f"submitted too late: more than {limit_hours} h after the capture time (the policy's limit)",
        )
    return None


def screen(candidates: Iterable[Candidate], terms: Iterable[PolicyTerms], tz: str,
           now: datetime) -> tuple[list[Candidate], dict[str, Rejection]]:
    """The candidates whose capture time is acceptable (in order), and the rejection of
    each other one by its key."""
    terms = list(terms)
    fresh: list[Candidate] = []
    refused: dict[str, Rejection] = {}
    for c in candidates:
        rejection = check_capture_time(c.body.captured_at, now, late_limit_hours(terms, c.body.captured_at, tz))
        if rejection is None:
            fresh.append(c)
        else:
            refused[c.key] = rejection
    return fresh, refused
