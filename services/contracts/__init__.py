"""Hadir's shared contract: event payloads, topic names and the CloudEvents envelope,
and (:mod:`services.contracts.rules`) the pure rules more than one service applies.

Every service depends on this package and on nothing of another service.
Within a topic's major version (``*.v1``) only additive changes are allowed.
"""

from services.contracts import topics
from services.contracts.envelope import Envelope, EnvelopeError, event_key
from services.contracts.registry import EVENT_TYPES, event_class_for, event_classes_on

__all__ = [
    "EVENT_TYPES",
    "Envelope",
    "EnvelopeError",
    "event_class_for",
    "event_classes_on",
    "event_key",
    "topics",
]
