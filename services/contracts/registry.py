"""Lookup of event classes by CloudEvents type and by topic."""

from __future__ import annotations

from services.contracts.base import Event
from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.events import (
    CheckinEvaluated,
    CheckinReceived,
    DirectoryContact,
    DirectoryUpdated,
    DirectoryUpdatedV2,
    LocationRead,
    NotificationSent,
    PolicyUpdated,
    ReportDueSoon,
    ReportOverdue,
    RosterPublished,
)
from services.contracts.marks import CheckinsEvaluatedMark, CheckinsReceivedMark

EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        DirectoryUpdated,
        DirectoryUpdatedV2,
        DirectoryContact,
        LocationRead,
        PolicyUpdated,
        RosterPublished,
        CheckinReceived,
        CheckinsReceivedMark,
        CheckinEvaluated,
        CheckinsEvaluatedMark,
        ReportDueSoon,
        ReportOverdue,
        NotificationSent,
        AbsenceUpdated,
        CorrectionUpdated,
        CheckinReviewed,
    )
}


def event_class_for(ce_type: str) -> type[Event] | None:
    return EVENT_TYPES.get(ce_type)


def event_classes_on(topic: str) -> list[type[Event]]:
    return [cls for cls in EVENT_TYPES.values() if cls.TOPIC == topic]
