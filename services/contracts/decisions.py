"""Events of the decisions taken on an employee's days: absences, verdict corrections, reviews.

Each carries the whole current state of one request (not a diff) and a ``revision`` that grows
with every change of it: a consumer keeps, per id, the highest revision it has seen, so
redeliveries and reordering change nothing. None carries the employee's reason, attachment or
explanation (the request stays with policy, the report text with checkin): consumers need only
the kind, the days and the decision.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.policy import AbsenceKind, CheckinKind
from services.contracts.rules.absence import MAX_ABSENCE_DAYS, AbsenceStatus, Span, excused_span, length_days
from services.contracts.rules.verdict_corrections import Contested, CorrectionStatus

NIP = r"^\d{18}$"


class AbsenceUpdated(Event):
    """An absence was requested, decided or cancelled (services.contracts.rules.absence)."""

    TYPE = "hadir.absence.updated.v1"
    TOPIC = topics.ABSENCE_UPDATED

    absence_id: UUID
    employee_id: str = Field(pattern=NIP)
    unit_id: str | None = None
    kind: AbsenceKind
    start: date = Field(description="first day (tenant-local)")
    end: date = Field(description="last day (tenant-local), inclusive")
    status: AbsenceStatus
    needs_bkd: bool = Field(default=False, description="the letter asks the BKD to approve it after the head")
    cancelled_from: date | None = Field(
        default=None, description="for an approved absence cancelled: the first day expected again")
    decision_note: str | None = Field(default=None, max_length=500,
                                      description="the head's or BKD's reason, told to the employee")
    revision: int = Field(ge=1, description="grows with every change of this absence: keep the highest")
    at: AwareDatetime = Field(description="when this change happened (UTC)")

    @model_validator(mode="after")
    def _span(self) -> AbsenceUpdated:
        if self.end < self.start:
            raise ValueError("end before start")
        if length_days(self.start, self.end) > MAX_ABSENCE_DAYS:
            raise ValueError(f"an absence is at most {MAX_ABSENCE_DAYS} days")
        return self

    def excused(self) -> Span | None:
        """The days this state of the absence excuses."""
        return excused_span(self.status, self.start, self.end, self.cancelled_from)

    def subject(self) -> str:
        return self.employee_id


class CorrectionUpdated(Event):
    """An employee contested a window's verdict, or the head decided on it
    (services.contracts.rules.verdict_corrections)."""

    TYPE = "hadir.correction.updated.v1"
    TOPIC = topics.CORRECTION_UPDATED

    correction_id: UUID
    employee_id: str = Field(pattern=NIP)
    unit_id: str | None = None
    local_date: date
    window_id: str = Field(min_length=1, max_length=40)
    checkin_id: UUID | None = Field(default=None, description="the check-in contested, if there was one")
    contested: Contested
    status: CorrectionStatus
    decision_note: str | None = Field(default=None, max_length=500)
    revision: int = Field(ge=1)
    at: AwareDatetime

    def subject(self) -> str:
        return self.employee_id


class CheckinReviewed(Event):
    """A unit head approved or returned an activity report or a video-conference attendance. A
    returned one no longer fills its window: the window counts as missing until the employee
    sends another check-in in it."""

    TYPE = "hadir.checkin.reviewed.v1"
    TOPIC = topics.CHECKIN_REVIEWED

    checkin_id: UUID
    employee_id: str = Field(pattern=NIP)
    unit_id: str | None = None
    kind: CheckinKind
    local_date: date
    window_id: str | None = None
    decision: Literal["approved", "returned"]
    note: str | None = Field(default=None, max_length=500, description="the head's comment, told to the employee")
    revision: int = Field(ge=1)
    at: AwareDatetime

    def subject(self) -> str:
        return self.employee_id
