"""AsyncAPI 3.0 description of Hadir's events, generated from the contract code.

Channels are the Kafka topics, messages the CloudEvents types of ``EVENT_TYPES``
(payload = the JSON Schema of the model, the same one committed under
``schemas/``), operations say which service sends or receives what (``PARTICIPANTS``).

``python -m services.contracts.asyncapi`` rewrites the committed ``asyncapi.yaml``;
a test fails when it and the code disagree. Services serve ``asyncapi_document()``.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.contracts import topics
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
from services.contracts.jsonschema import render
from services.contracts.marks import CheckinsEvaluatedMark, CheckinsReceivedMark
from services.contracts.registry import EVENT_TYPES

DOCUMENT_PATH = Path(__file__).parent / "asyncapi.yaml"
KAFKA_BINDING_VERSION = "0.5.0"


@dataclass(frozen=True)
class Participant:
    """One service: the consumer group it reads with, what it publishes and what it consumes."""

    service: str
    group: str
    sends: tuple[type[Event], ...]
    receives: tuple[type[Event], ...]


# Who produces and who consumes what (README's events table; tests check `receives`
# against the handlers the services really register). Policy sends DirectoryUpdated (deprecated)
# only while HADIR_PUBLISH_DIRECTORY_V1 is on, and no service of Hadir reads it any more.
PARTICIPANTS: tuple[Participant, ...] = (
    Participant(
        "policy", "hadir-policy-evaluator",
        sends=(DirectoryUpdated, DirectoryUpdatedV2, DirectoryContact, PolicyUpdated, RosterPublished,
               CheckinEvaluated, CheckinsEvaluatedMark, AbsenceUpdated, CorrectionUpdated),
        receives=(CheckinReceived, CheckinsReceivedMark, LocationRead),
    ),
    Participant(
        "checkin", "hadir-checkin-main",
        sends=(CheckinReceived, CheckinsReceivedMark, LocationRead, CheckinReviewed),
        receives=(DirectoryUpdatedV2, PolicyUpdated, CheckinEvaluated),
    ),
    Participant(
        "reporting", "hadir-reporting-projections",
        sends=(ReportDueSoon, ReportOverdue),
        receives=(DirectoryUpdatedV2, DirectoryContact, PolicyUpdated, RosterPublished, CheckinEvaluated,
                  CheckinsEvaluatedMark, AbsenceUpdated, CorrectionUpdated, CheckinReviewed),
    ),
    Participant(
        "notify", "hadir-notify-main",
        sends=(NotificationSent,),
        receives=(DirectoryUpdatedV2, DirectoryContact, PolicyUpdated, RosterPublished, CheckinEvaluated,
                  ReportDueSoon, ReportOverdue, AbsenceUpdated, CorrectionUpdated, CheckinReviewed),
    ),
)

# The record key is `<tenant>/<subject>`; what the subject is, per event type.
KEY_SUBJECTS: dict[type[Event], str] = {
    DirectoryUpdated: "`<tenant>/<nip>` for an employee, `<tenant>/unit:<unit id>` for a unit, "
                      "`<tenant>/tenant` for the tenant itself",
    DirectoryUpdatedV2: "`<tenant>/<nip>` for an employee, `<tenant>/unit:<unit id>` for a unit, "
                        "`<tenant>/tenant` for the tenant itself",
    DirectoryContact: "`<tenant>/<nip>`; a tombstone (null value) under it: the details were removed",
    LocationRead: "`<tenant>/<employee id>` (whose data was read)",
    PolicyUpdated: "`<tenant>/policy:<policy id>`",
    RosterPublished: "`<tenant>/unit:<unit id>`",
    CheckinReceived: "`<tenant>/<employee id>`",
    CheckinEvaluated: "`<tenant>/<employee id>`",
    CheckinsReceivedMark: "`_pipeline/mark-<partition>`, sent to that partition explicitly (one mark per partition)",
    CheckinsEvaluatedMark: "`_pipeline/mark-<received partition>-<partition>`, sent to that partition explicitly",
    ReportDueSoon: "`<tenant>/<employee id>`",
    ReportOverdue: "`<tenant>/<employee id>`",
    NotificationSent: "`<tenant>/<recipient>`",
    AbsenceUpdated: "`<tenant>/<employee id>`",
    CorrectionUpdated: "`<tenant>/<employee id>`",
    CheckinReviewed: "`<tenant>/<employee id>`",
}

# CloudEvents 1.0 Kafka binary mode: the context attributes as record headers.
CLOUDEVENTS_HEADERS: dict[str, dict[str, Any]] = {
    "ce_id": {"type": "string", "description": "Unique id of the event. The same event may be delivered more "
              "than once (at-least-once): deduplicate on it.", "examples": ["6f1c7d2e-3b0a-4c55-9d1e-8a2f4b7c9e01"]},
    "ce_source": {"type": "string", "description": "The producing service, `/hadir/<service>`.",
                  "examples": ["/hadir/policy"]},
    "ce_type": {"type": "string", "description": "The event type; selects the payload schema."},
    "ce_specversion": {"type": "string", "const": "1.0", "description": "CloudEvents version."},
    "ce_time": {"type": "string", "format": "date-time",
                "description": "When the event happened, UTC (RFC 3339, `Z`).", "examples": ["2022-02-01T00:31:07Z"]},
    "ce_subject": {"type": "string", "description": "What the event is about within the tenant (an employee "
                   "NIP or id, `unit:<id>`, `policy:<id>`, `tenant`); with the tenant it forms the record key."},
    "ce_tenant": {"type": "string", "description": "The regional government (tenant id). CloudEvents extension "
                  "attribute.", "examples": ["banten"]},
    "traceparent": {"type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                    "description": "W3C trace context of the request that caused the event, when known.",
                    "examples": ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]},
    "content-type": {"type": "string", "const": "application/json", "description": "Media type of the value."},
}
REQUIRED_HEADERS = ("ce_id", "ce_source", "ce_type", "ce_specversion", "ce_tenant")

DEAD_LETTER_HEADERS: dict[str, dict[str, Any]] = {
    "dlq_reason": {"type": "string", "maxLength": 2000, "description": "Why the consumer could not apply it."},
    "dlq_group": {"type": "string", "description": "The consumer group that gave up on it."},
    "dlq_topic": {"type": "string", "description": "The topic it was read from."},
    "dlq_partition": {"type": "string", "description": "Partition it was read from (undecodable records)."},
    "dlq_offset": {"type": "string", "description": "Offset it was read at (undecodable records)."},
}

_DESCRIPTION = """\
Events of Hadir, the work-from-home policy suite of Indonesian regional governments.

* **CloudEvents 1.0, Kafka binary mode**: the context attributes travel as `ce_*` record headers,
  the record value is the JSON payload described here.
* **Key** `<tenant>/<subject>`: all events of one employee (or unit, or policy) of one tenant go to one
  partition and are read in order. There is no order across keys.
* **At-least-once**: producers are idempotent and write through a transactional outbox, but an event can
  still arrive twice; deduplicate by `ce_id`. Commit offsets only after your effect is durable.
* **Versioning**: topics and types end in a version, `.v1`. Within a version changes are additive only
  (new optional fields, new enum values); ignore fields you do not know and tolerate unknown enum values.
  A breaking change gets new `.v2` topics: `directory.updated.v2` replaces the deprecated
  `directory.updated.v1` (no home coordinates, no contact details; those go to `directory.contacts.v1`,
  for notification channels and the dashboard's contact links only). See docs/integration.md,
  *Migrating to directory.updated.v2*.
* **Compacted topics** (`directory.updated.*`, `directory.contacts.v1`) keep the latest record per key. A
  **tombstone** — the CloudEvents headers of the key's type and a null value — means what the topic held
  under the key was removed (retention): delete your copy.
* Undecodable messages go to a per-consumer-group dead-letter topic `deadletter.<group>.v1`.
* **Watermarks**: `checkin.received` and `checkin.evaluated` also carry marks (`*.mark.v1`, tenant
  `_pipeline`) on every partition: every check-in accepted up to the mark's `accepted_until` precedes it
  on its partition. Reporting closes a window only once the marks have passed its deadline. Skip the
  mark types if you do not need them.
"""


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_")


def _message_id(cls: type[Event]) -> str:
    return cls.__name__


def _summary(cls: type[Event]) -> str:
    return (cls.__doc__ or cls.__name__).strip().splitlines()[0]


def _rewrite_refs(node: Any) -> Any:
    """Point JSON Schema `#/$defs/X` references at the document's `#/components/schemas/X`."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def payload_schema(cls: type[Event], shared: dict[str, Any]) -> dict[str, Any]:
    """The committed JSON Schema of ``cls`` with its ``$defs`` moved into ``shared``.

    ``$schema`` and ``$id`` are dropped (an ``$id`` would change how the rewritten
    references resolve); ``title`` names the payload, ``x-cloudevents-type`` its type.
    """
    schema = json.loads(render(cls))
    for name, definition in schema.pop("$defs", {}).items():
        definition = _rewrite_refs(definition)
        if shared.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas named {name!r} ({cls.__name__}); rename one model")
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return _rewrite_refs(schema)


def _message(cls: type[Event], shared: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": cls.__name__,
        "title": cls.TYPE,
        "summary": _summary(cls),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventsHeaders"},
                {"type": "object", "properties": {"ce_type": {"type": "string", "const": cls.TYPE}}},
            ],
        },
        "payload": payload_schema(cls, shared),
        "correlationId": {
            "description": "W3C trace context, from the HTTP request to the last notification",
            "location": "$message.header#/traceparent",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"`<tenant>/<subject>`: {KEY_SUBJECTS[cls]}"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(topic: str, classes: list[type[Event]]) -> dict[str, Any]:
    producers = sorted(p.service for p in PARTICIPANTS if any(c in p.sends for c in classes))
    consumers = sorted(p.service for p in PARTICIPANTS if any(c in p.receives for c in classes))
    return {
        "address": topic,
        "title": topic,
        "description": " ".join(_summary(c) for c in classes)
        + f" Produced by {', '.join(producers) or 'nobody'}; consumed by {', '.join(consumers) or 'nobody'}.",
        "messages": {_message_id(c): {"$ref": f"#/components/messages/{_message_id(c)}"} for c in classes},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _dead_letter_channel(p: Participant) -> dict[str, Any]:
    topic = topics.dead_letter_topic(p.group)
    return {
        "address": topic,
        "title": topic,
        "description": f"Records consumer group {p.group} ({p.service}) could not decode or apply: the original "
                       "value, key and headers, plus `dlq_*` headers saying why. For operators.",
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _operation(p: Participant, action: str, channel_id: str, message_ids: list[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "title": f"{p.service} {action}s {channel_id}",
        "tags": [{"name": p.service}],
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in message_ids],
    }
    if action == "send":
        operation["summary"] = (f"{p.service} publishes through its transactional outbox "
                                "(idempotent producer, acks=all).")
    else:
        operation["summary"] = f"{p.service} consumes with group {p.group}, deduplicating by ce_id."
        operation["bindings"] = {
            "kafka": {"groupId": {"type": "string", "enum": [p.group]}, "bindingVersion": KAFKA_BINDING_VERSION}
        }
    return operation


def _by_topic(classes: tuple[type[Event], ...]) -> dict[str, list[type[Event]]]:
    grouped: dict[str, list[type[Event]]] = {}
    for cls in classes:
        grouped.setdefault(cls.TOPIC, []).append(cls)
    return grouped


@functools.cache
def _build() -> str:
    shared: dict[str, Any] = {}
    messages = {_message_id(cls): _message(cls, shared) for cls in EVENT_TYPES.values()}
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record a consumer group could not decode or apply, as it was read.",
        "headers": {
            "type": "object",
            "required": ["dlq_reason", "dlq_group", "dlq_topic"],
            "description": "The original record's headers (usually the CloudEvents ones) plus these.",
            "properties": DEAD_LETTER_HEADERS,
        },
        "payload": {"title": "Original record value",
                    "description": "Unchanged; it may not be valid JSON or a known event."},
        "bindings": {"kafka": {"key": {"type": "string", "description": "the original record key"},
                               "bindingVersion": KAFKA_BINDING_VERSION}},
    }

    channels: dict[str, Any] = {}
    for topic in topics.ALL:
        on_topic = [cls for cls in EVENT_TYPES.values() if cls.TOPIC == topic]
        if on_topic:
            channels[_channel_id(topic)] = _channel(topic, on_topic)
    for p in PARTICIPANTS:
        channels[_channel_id(topics.dead_letter_topic(p.group))] = _dead_letter_channel(p)

    operations: dict[str, Any] = {}
    for p in PARTICIPANTS:
        for action, classes in (("send", p.sends), ("receive", p.receives)):
            for topic, handled in _by_topic(classes).items():
                channel_id = _channel_id(topic)
                operations[f"{p.service}_{action}_{channel_id}"] = _operation(
                    p, action, channel_id, [_message_id(c) for c in handled])
        dead = _channel_id(topics.dead_letter_topic(p.group))
        operations[f"{p.service}_send_{dead}"] = _operation(p, "send", dead, ["DeadLetter"])

    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hadir events",
            "version": "v1",
            "description": _DESCRIPTION,
            "tags": [{"name": p.service, "description": f"the {p.service} service"} for p in PARTICIPANTS],
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The installation's Kafka cluster; ask its operators for the address and credentials.",
                "variables": {"bootstrap": {"default": "kafka:9092",
                                            "description": "bootstrap server host:port"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {
                "CloudEventsHeaders": {
                    "type": "object",
                    "description": "CloudEvents 1.0 context attributes in Kafka binary content mode.",
                    "required": list(REQUIRED_HEADERS),
                    "properties": CLOUDEVENTS_HEADERS,
                },
                **dict(sorted(shared.items())),
            },
            "messages": messages,
        },
    }
    return json.dumps(document, ensure_ascii=False)


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a fresh dict (safe to mutate), e.g. for ``GET /asyncapi.json``."""
    return json.loads(_build())


def render_yaml(document: dict[str, Any] | None = None) -> str:
    import yaml  # only needed to write the committed file

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    header = "# Generated by `python -m services.contracts.asyncapi` from services/contracts. Do not edit.\n"
    body = yaml.dump(document or asyncapi_document(), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110)
    return header + body


def write() -> Path:
    DOCUMENT_PATH.write_text(render_yaml(), encoding="utf-8")
    return DOCUMENT_PATH


if __name__ == "__main__":
    print(write(), file=sys.stderr)
