"""Who hears of a decision on an employee's days, and as which notice.

Absences, verdict corrections and reviews arrive as their whole state with a revision
(:mod:`services.contracts.decisions`); each state is told once, to one audience:

- an absence ``requested`` → the unit's head(s) (decide it); ``awaiting_bkd`` → the BKD (the
  head approved, the letter asks the BKD too); ``approved`` / ``rejected`` → the employee, with
  the decision note; ``cancelled`` → the head(s) (the days are expected again);
- a correction ``requested`` → the head(s); ``approved`` / ``rejected`` → the employee;
- a review ``returned`` → the employee (resend the report); ``approved`` → nobody: approval is
  the normal outcome of every report, a message for each would bury the ones that need action.

The notice's ``occurrence`` (part of the delivery log's unique key) names the request and its
revision, so a state is recorded once however often its event is delivered.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Audience = Literal["head", "bkd", "employee"]


class Notice(NamedTuple):
    kind: str
    audience: Audience


ABSENCE: dict[str, Notice] = {
    "requested": Notice("absence_requested", "head"),
    "awaiting_bkd": Notice("absence_awaiting_bkd", "bkd"),
    "approved": Notice("absence_decided", "employee"),
    "rejected": Notice("absence_decided", "employee"),
    "cancelled": Notice("absence_cancelled", "head"),
}
CORRECTION: dict[str, Notice] = {
    "requested": Notice("correction_requested", "head"),
    "approved": Notice("correction_decided", "employee"),
    "rejected": Notice("correction_decided", "employee"),
}
REVIEW: dict[str, Notice] = {
    "returned": Notice("checkin_returned", "employee"),
}
KINDS = tuple(dict.fromkeys(n.kind for table in (ABSENCE, CORRECTION, REVIEW) for n in table.values()))


def occurrence(request_id: str, revision: int) -> str:
    """The key of one state of one request: ``r<revision>:<id without dashes>`` (at most 40 characters)."""
    return f"r{revision}:{request_id.replace('-', '')}"[:40]
