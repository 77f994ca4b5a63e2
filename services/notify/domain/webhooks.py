"""What integrators can subscribe to, and the body they receive.

Types are full-stop delimited and grouped: a filter is an exact type, a prefix
such as ``report.*``, or ``*`` for everything. Bodies follow the Standard Webhooks
payload shape ``{"type", "timestamp", "data"}`` as compact JSON; the same bytes are
sent on every retry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

EVENT_TYPES: dict[str, str] = {
    "report.due_soon": "A check-in is not in yet and its window closes soon",
    "report.overdue": "A check-in did not arrive by its deadline",
    "report.escalated": "An employee reached the overdue threshold of a day or week (to the head) or the "
                        "missed-days threshold of a month (to the BKD: period month)",
    "checkin.flagged": "A check-in was suspicious or outside the geofence",
    "policy.updated": "A circular letter (Surat Edaran) version took effect",
    "roster.published": "A unit's office/home roster was published",
}


def valid_filter(pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return any(t.startswith(pattern[:-1]) for t in EVENT_TYPES)
    return pattern in EVENT_TYPES


def matches(filters: list[str], event_type: str) -> bool:
    for pattern in filters:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data},
                      separators=(",", ":"), ensure_ascii=False, default=str)
