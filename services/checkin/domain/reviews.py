"""Reviews of activity reports and video-conference attendance (pure): which check-ins are
reviewed, who may decide, what a decision changes, and what heads and the employee read.

A decision is taken by the head of the check-in's unit or by the tenant's admin, never by the
employee who sent it; each decision raises the review's revision by one and is kept in its
history. A returned report stays returned (its window counts as missing) until the employee
sends another check-in; a later decision may still change it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from services.checkin.domain.days import as_utc
from services.checkin.schemas import (
    CheckinReview,
    HeadReview,
    ReviewDecisionOut,
    ReviewDetail,
    ReviewIn,
    ReviewItem,
)
from services.contracts.decisions import CheckinReviewed
from services.contracts.policy import CheckinKind, local_date, zone_abbreviation
from services.contracts.rules.versions import at_capture
from services.runtime.auth import Principal

if TYPE_CHECKING:  # the rows read, as plain data
    from services.checkin.store import Checkin, PolicyVersion, Review, ReviewDecision

REVIEWED_KINDS = frozenset({CheckinKind.ACTIVITY_REPORT, CheckinKind.VIDEO_CONFERENCE})
DECIDED: dict[str, Literal["approved", "returned"]] = {"approve": "approved", "return": "returned"}
MAX_SUBJECT = 200  # reviews.by_subject


def reviewed(kind: str) -> bool:
    """Whether check-ins of ``kind`` are reviewed by heads."""
    return kind in {k.value for k in REVIEWED_KINDS}


def refusal(principal: Principal, checkin: Checkin) -> str | None:
    """Why ``principal`` may not decide on ``checkin`` (an error kind), or None: the employee
    never reviews their own, a head only their unit's, the tenant's admin any."""
    if principal.employee_id is not None and principal.employee_id == checkin.employee_id:
        return "own_checkin"
    if principal.has("tenant_admin"):
        return None
    if principal.has("unit_head") and principal.unit_id and principal.unit_id == checkin.unit_id:
        return None
    return "not_your_unit"


@dataclass(frozen=True)
class Decision:
    """One decision, ready to be stored (current state and history row) and published."""

    tenant: str
    checkin_id: str
    revision: int
    decision: Literal["approved", "returned"]
    note: str | None
    by_subject: str
    by_nip: str | None
    by_role: str
    at: datetime

    def state(self) -> dict[str, Any]:
        """The columns of the review's current state."""
        return {"tenant": self.tenant, "checkin_id": self.checkin_id, "decision": self.decision, "note": self.note,
                "by_subject": self.by_subject, "by_nip": self.by_nip, "at": self.at, "revision": self.revision}

    def history(self) -> dict[str, Any]:
        """The columns of its row in the history."""
        return {**self.state(), "by_role": self.by_role}


def decide(checkin: Checkin, current: Review | None, body: ReviewIn, principal: Principal, now: datetime) -> Decision:
    """The next decision on ``checkin`` (whose current review is ``current``)."""
    head = principal.has("unit_head") and principal.unit_id == checkin.unit_id
    note = body.note.strip() if body.note else None
    return Decision(
        tenant=checkin.tenant, checkin_id=checkin.id, revision=(current.revision if current else 0) + 1,
        decision=DECIDED[body.decision], note=note or None, by_subject=principal.subject[:MAX_SUBJECT],
        by_nip=principal.employee_id, by_role="unit_head" if head else "tenant_admin", at=now)


def event(checkin: Checkin, decision: Decision, day: date) -> CheckinReviewed:
    """What consumers learn of a decision: no report text, meeting reference or attachment."""
    return CheckinReviewed(
        checkin_id=uuid.UUID(checkin.id), employee_id=checkin.employee_id, unit_id=checkin.unit_id,
        kind=CheckinKind(checkin.kind), local_date=day, window_id=checkin.window_id, decision=decision.decision,
        note=decision.note, revision=decision.revision, at=decision.at)


def day_of(checkin: Checkin, tz: str) -> date:
    """The check-in's tenant-local day: the verdict's, else that of its capture."""
    return checkin.local_date or local_date(as_utc(checkin.captured_at), tz)


def own_view(checkin: Checkin, review: Review | None) -> CheckinReview | None:
    """What the employee reads of the review of their own check-in (None for kinds not reviewed)."""
    if not reviewed(checkin.kind):
        return None
    if review is None:
        return CheckinReview(state="pending")
    return CheckinReview(state=review.decision, note=review.note, at=as_utc(review.at),  # type: ignore[arg-type]
                         revision=review.revision)


def _local(instant: datetime, tz: str) -> str:
    return as_utc(instant).astimezone(ZoneInfo(tz)).isoformat()


def head_view(review: Review | None, tz: str) -> HeadReview:
    if review is None:
        return HeadReview(state="pending")
    return HeadReview(state=review.decision, note=review.note, at=as_utc(review.at),  # type: ignore[arg-type]
                      revision=review.revision, by=review.by_subject, by_nip=review.by_nip,
                      at_local=_local(review.at, tz))


def window_name(checkin: Checkin, versions: Sequence[PolicyVersion], tz: str) -> str | None:
    """The name of the check-in's window in the letter version it was captured under."""
    if checkin.window_id is None:
        return None
    version = at_capture(versions, day_of(checkin, tz), as_utc(checkin.captured_at))
    return ((version.window_names if version else None) or {}).get(checkin.window_id)


def item(checkin: Checkin, name: str | None, review: Review | None, tz: str,
         versions: Sequence[PolicyVersion]) -> ReviewItem:
    """One check-in as the review list shows it (no coordinates)."""
    payload = checkin.payload or {}
    return ReviewItem(
        checkin_id=uuid.UUID(checkin.id), employee_id=checkin.employee_id, name=name, unit_id=checkin.unit_id,
        kind=CheckinKind(checkin.kind), local_date=day_of(checkin, tz), zone=zone_abbreviation(tz),
        captured_at=as_utc(checkin.captured_at), captured_at_local=_local(checkin.captured_at, tz),
        received_at=as_utc(checkin.received_at), received_at_local=_local(checkin.received_at, tz),
        status=checkin.status or "pending", window_id=checkin.window_id,
        window_name=window_name(checkin, versions, tz),
        activity_text=payload.get("activity_text"), attachment_ref=payload.get("attachment_ref"),
        meeting_ref=payload.get("meeting_ref"), review=head_view(review, tz))


def detail(checkin: Checkin, name: str | None, review: Review | None, tz: str,
           versions: Sequence[PolicyVersion], history: Sequence[ReviewDecision]) -> ReviewDetail:
    """One check-in with every decision taken on it, oldest first."""
    return ReviewDetail(
        **item(checkin, name, review, tz, versions).model_dump(),
        history=[ReviewDecisionOut(revision=h.revision, decision=h.decision,  # type: ignore[arg-type]
                                   note=h.note, by=h.by_subject, by_nip=h.by_nip, by_role=h.by_role,
                                   at=as_utc(h.at), at_local=_local(h.at, tz)) for h in history])
