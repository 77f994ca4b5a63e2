"""Kafka topic names. Versioned: a breaking change means a new ``.v2`` topic."""

DIRECTORY_UPDATED = "directory.updated.v1"  # deprecated: carries home coordinates and contacts (docs/integration.md)
DIRECTORY_UPDATED_V2 = "directory.updated.v2"
DIRECTORY_CONTACTS = "directory.contacts.v1"
LOCATION_READ = "privacy.location_read.v1"
POLICY_UPDATED = "policy.updated.v1"
ROSTER_PUBLISHED = "roster.published.v1"
CHECKIN_RECEIVED = "checkin.received.v1"
CHECKIN_EVALUATED = "checkin.evaluated.v1"
REPORT_DUE_SOON = "report.due_soon.v1"
REPORT_OVERDUE = "report.overdue.v1"
NOTIFICATION_SENT = "notification.sent.v1"

ALL = (
    DIRECTORY_UPDATED,
    DIRECTORY_UPDATED_V2,
    DIRECTORY_CONTACTS,
    LOCATION_READ,
    POLICY_UPDATED,
    ROSTER_PUBLISHED,
    CHECKIN_RECEIVED,
    CHECKIN_EVALUATED,
    REPORT_DUE_SOON,
    REPORT_OVERDUE,
    NOTIFICATION_SENT,
)


def dead_letter_topic(group_id: str) -> str:
    """The dead-letter topic of one consumer group (one per consumer, not per topic)."""
    return f"deadletter.{group_id}.v1"
