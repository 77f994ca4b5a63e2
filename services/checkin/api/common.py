"""What the check-in API's modules (and the web page's JSON endpoints) share: who may
submit, the response form of a stored check-in, and the HTTP answers for a token
without a NIP and for a day UTC cannot hold."""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException

from services.checkin.domain import days
from services.checkin.schemas import CheckinOut, CheckinReview
from services.checkin.store import Checkin
from services.contracts.policy import CheckinKind
from services.runtime import deps, errors
from services.runtime.auth import Principal

NIP_LOC: list[str | int] = ["header", "authorization", "nip"]

Submitter = Annotated[Principal, Depends(deps.role("employee", "unit_head"))]


def to_out(row: Checkin, review: CheckinReview | None = None) -> CheckinOut:
    """A stored check-in as the API answers it (``review``: where its head's review stands, when read)."""
    return CheckinOut(
        id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id, kind=CheckinKind(row.kind),
        captured_at=days.as_utc(row.captured_at), received_at=days.as_utc(row.received_at),
        status=row.status or "pending",
        window_id=row.window_id, late_minutes=row.late_minutes, geofence=row.geofence,
        distance_m=row.distance_m, place_name=row.place_name, suspicious=row.suspicious, reasons=row.reasons,
        review=review,
    )


def forbidden(kind: str, **ctx: Any) -> HTTPException:
    """403 about the submitter's NIP (the token's ``nip`` claim)."""
    return errors.forbidden(kind, loc=NIP_LOC, **ctx)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """:func:`services.checkin.domain.days.day_bounds`; a day UTC cannot hold (0001-01-01
    east of Greenwich) answers 422 on ``?date``."""
    try:
        return days.day_bounds(day, tz)
    except OverflowError:
        raise errors.invalid(["query", "date"], errors.text("date_out_of_range"), "date_out_of_range") from None
