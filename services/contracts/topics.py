"""Kafka topic names and how long each keeps its records. Versioned: a breaking change means a new
``.v2`` topic.

:func:`config_of` is the one source of every topic's configuration: the services create missing
topics with it (:func:`services.runtime.kafka.ensure_topics`), ``deploy/k8s/base/topics.yaml`` states
the same (a test compares them), and docs/integration.md tells integrators. Compacted topics keep the
latest record per key; a tombstone (a null value) under a key removes it. Removed or superseded
records leave such a topic within :data:`MAX_COMPACTION_LAG_MS`, and consumers down for less than
:data:`TOMBSTONE_KEPT_MS` still see the tombstone.
"""

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
ABSENCE_UPDATED = "absence.updated.v1"
CORRECTION_UPDATED = "correction.updated.v1"
CHECKIN_REVIEWED = "checkin.reviewed.v1"

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
    ABSENCE_UPDATED,
    CORRECTION_UPDATED,
    CHECKIN_REVIEWED,
)

DAY_MS = 24 * 60 * 60 * 1000
MIN_COMPACTION_LAG_MS = DAY_MS  # a record stays at least a day before compaction may drop it
MAX_COMPACTION_LAG_MS = 7 * DAY_MS  # and a superseded or removed one is compacted away within a week
TOMBSTONE_KEPT_MS = 7 * DAY_MS  # a tombstone itself stays a week, for consumers that were down


def _compacted() -> dict[str, str]:
    return {"cleanup.policy": "compact", "min.compaction.lag.ms": str(MIN_COMPACTION_LAG_MS),
            "max.compaction.lag.ms": str(MAX_COMPACTION_LAG_MS), "delete.retention.ms": str(TOMBSTONE_KEPT_MS)}


def _kept(days: int) -> dict[str, str]:
    return {"retention.ms": str(days * DAY_MS)}


_CONFIGS: dict[str, dict[str, str]] = {
    DIRECTORY_UPDATED: _compacted(),  # the latest record of every entity (with home coordinates: delete it)
    DIRECTORY_UPDATED_V2: _compacted(),  # the latest record of every entity: a new group reads the directory
    DIRECTORY_CONTACTS: _compacted(),  # the latest contact details of every employee; tombstones remove them
    LOCATION_READ: _kept(7),  # policy's access log is the record; the topic only carries it there
    POLICY_UPDATED: {"retention.ms": "-1"},  # every circular-letter version, for ever (few and small)
    ROSTER_PUBLISHED: _kept(366),
    CHECKIN_RECEIVED: _kept(30),  # raw coordinates: below the 90-day default retention period
    CHECKIN_EVALUATED: _kept(30),
    REPORT_DUE_SOON: _kept(7),
    REPORT_OVERDUE: _kept(30),
    NOTIFICATION_SENT: _kept(30),  # audit
    ABSENCE_UPDATED: _kept(1100),  # a new consumer rebuilds the excused days of the longest absence (3 years)
    CORRECTION_UPDATED: _kept(400),  # a year of reports can be rebuilt
    CHECKIN_REVIEWED: _kept(400),
}
DEAD_LETTER_CONFIG = _kept(30)  # kept for replay


def config_of(topic: str) -> dict[str, str]:
    """The Kafka configuration of ``topic`` (empty for a topic Hadir does not define: the broker's defaults)."""
    if topic in _CONFIGS:
        return dict(_CONFIGS[topic])
    return dict(DEAD_LETTER_CONFIG) if is_dead_letter_topic(topic) else {}


def dead_letter_topic(group_id: str) -> str:
    """The dead-letter topic of one consumer group (one per consumer, not per topic)."""
    return f"deadletter.{group_id}.v1"


def is_dead_letter_topic(topic: str) -> bool:
    return topic.startswith("deadletter.") and topic.endswith(".v1")
