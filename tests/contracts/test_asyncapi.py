"""The committed AsyncAPI document is the one the code generates, and it is well formed."""

from __future__ import annotations

import importlib
import json
import re
import time
from typing import Any

import pytest
import yaml

from services.contracts import topics
from services.contracts.asyncapi import (
    CLOUDEVENTS_HEADERS,
    DOCUMENT_PATH,
    KEY_SUBJECTS,
    PARTICIPANTS,
    REQUIRED_HEADERS,
    asyncapi_document,
    render_yaml,
)
from services.contracts.envelope import _REQUIRED, Envelope
from services.contracts.jsonschema import schema_path
from services.contracts.registry import EVENT_TYPES

REGENERATE = "run python -m services.contracts.asyncapi and commit services/contracts/asyncapi.yaml"
ID = re.compile(r"^[A-Za-z0-9_\-]+$")  # AsyncAPI 3.0 keys of channels, operations and channel messages


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return asyncapi_document()


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        assert node["$ref"].startswith("#/"), node
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            assert part in target, f"dangling reference {node['$ref']}"
            target = target[part]
        node = target
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_committed_document_matches_the_code(doc: dict[str, Any]) -> None:
    assert DOCUMENT_PATH.exists(), f"{DOCUMENT_PATH.name} missing: {REGENERATE}"
    committed = yaml.safe_load(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert committed == doc, f"{DOCUMENT_PATH.name} differs from the contracts: {REGENERATE}"
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render_yaml(doc), f"formatting drifted: {REGENERATE}"


def test_a_changed_model_changes_the_document(doc: dict[str, Any]) -> None:
    """The comparison above can fail: the document follows the models."""
    changed = json.loads(json.dumps(doc))
    payload = changed["components"]["messages"]["ReportOverdue"]["payload"]
    payload["properties"]["employee_nip"] = payload["properties"].pop("employee_id")
    assert changed != doc


def test_document_is_asyncapi_3_with_json_serialisable_content(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["defaultContentType"] == "application/json"
    assert {s["protocol"] for s in doc["servers"].values()} == {"kafka"}
    assert json.loads(json.dumps(doc)) == doc


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    for ref in _refs(doc):
        _resolve(doc, {"$ref": ref})


def test_every_topic_is_a_channel_with_messages(doc: dict[str, Any]) -> None:
    channels = doc["channels"]
    addresses = {c["address"] for c in channels.values()}
    assert set(topics.ALL) <= addresses
    assert {topics.dead_letter_topic(p.group) for p in PARTICIPANTS} <= addresses
    for channel_id, channel in channels.items():
        assert ID.match(channel_id), channel_id
        assert channel["messages"], f"channel {channel_id} has no messages"
        assert channel["bindings"]["kafka"]["topic"] == channel["address"]
        for message_id, message in channel["messages"].items():
            assert ID.match(message_id), message_id
            _resolve(doc, message)


def test_every_event_type_is_a_message_with_its_schema(doc: dict[str, Any]) -> None:
    """Payload = the committed JSON Schema of the model, its $defs shared under components."""
    messages = doc["components"]["messages"]
    shared = doc["components"]["schemas"]
    for ce_type, cls in EVENT_TYPES.items():
        message = messages[cls.__name__]
        assert message["title"] == ce_type
        channel = doc["channels"][cls.TOPIC.replace(".", "_")]
        assert channel["address"] == cls.TOPIC and cls.__name__ in channel["messages"]

        committed = json.loads(schema_path(cls).read_text())
        for name, definition in committed.pop("$defs", {}).items():
            assert _rewrite(definition) == shared[name], f"{ce_type}: $defs/{name} differs"
        for key in ("$schema", "$id"):
            committed.pop(key)
        assert message["payload"] == _rewrite(committed), f"{ce_type}: payload is not the committed schema"
        assert message["payload"]["x-cloudevents-type"] == ce_type


def _rewrite(node: Any) -> Any:
    return json.loads(json.dumps(node).replace('"#/$defs/', '"#/components/schemas/'))


def test_every_message_payload_is_named(doc: dict[str, Any]) -> None:
    for name, message in doc["components"]["messages"].items():
        payload = _resolve(doc, message["payload"])
        assert payload.get("$id") or payload.get("title"), f"message {name}: payload has neither $id nor title"


def test_messages_carry_cloudevents_headers_and_a_kafka_key(doc: dict[str, Any]) -> None:
    headers = doc["components"]["schemas"]["CloudEventsHeaders"]
    for ce_type, cls in EVENT_TYPES.items():
        message = doc["components"]["messages"][cls.__name__]
        parts = message["headers"]["allOf"]
        assert _resolve(doc, parts[0]) is headers
        assert parts[1]["properties"]["ce_type"]["const"] == ce_type
        key = message["bindings"]["kafka"]["key"]
        assert key["type"] == "string" and "<tenant>/" in key["description"]
    assert set(KEY_SUBJECTS) == set(EVENT_TYPES.values())


def test_header_schema_follows_the_envelope() -> None:
    """Every header the envelope writes is described; the required ones are the parser's."""
    written = Envelope(type="t", source="/s", tenant="banten", subject="x", data=b"{}",
                       traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").headers()
    assert set(CLOUDEVENTS_HEADERS) == set(written)
    assert set(REQUIRED_HEADERS) == set(_REQUIRED)
    assert re.match(CLOUDEVENTS_HEADERS["traceparent"]["pattern"], written["traceparent"])


def test_operations_follow_the_participants(doc: dict[str, Any]) -> None:
    operations = doc["operations"]
    for operation_id, operation in operations.items():
        assert ID.match(operation_id), operation_id
        assert operation["action"] in {"send", "receive"}
        channel = _resolve(doc, operation["channel"])
        for message in operation["messages"]:  # AsyncAPI 3: a subset of its channel's messages
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/"), operation_id
            _resolve(doc, message)
        assert channel["messages"]
    for p in PARTICIPANTS:
        for action, classes in (("send", p.sends), ("receive", p.receives)):
            for cls in classes:
                operation = operations[f"{p.service}_{action}_{cls.TOPIC.replace('.', '_')}"]
                assert {"$ref": f"#/channels/{cls.TOPIC.replace('.', '_')}/messages/{cls.__name__}"} \
                    in operation["messages"]
                if action == "receive":
                    assert operation["bindings"]["kafka"]["groupId"]["enum"] == [p.group]


def test_every_event_has_one_producer_and_is_consumed() -> None:
    for cls in EVENT_TYPES.values():
        producers = [p.service for p in PARTICIPANTS if cls in p.sends]
        assert len(producers) == 1, f"{cls.TYPE}: producers {producers}"
    consumed = {cls for p in PARTICIPANTS for cls in p.receives}
    assert consumed <= set(EVENT_TYPES.values())
    assert len({p.group for p in PARTICIPANTS}) == len(PARTICIPANTS)


@pytest.mark.parametrize("participant", PARTICIPANTS, ids=lambda p: p.service)
def test_participants_table_matches_the_consumers_services_register(participant: Any) -> None:
    """What the document says a service consumes is what its composition root subscribes."""
    module = importlib.import_module(f"services.{participant.service}.app")
    _, rt = module.build()
    try:
        registered = {c.group_id: c.classes for c in rt.consumers}  # a tombstone handler's type included
    finally:
        rt.engine.sync_engine.dispose()
    assert registered == {participant.group: set(participant.receives)}, (
        f"update PARTICIPANTS in services/contracts/asyncapi.py for {participant.service}, then {REGENERATE}"
    )


# --- the integration guide (docs/integration.md) is the human side of this document ----------------

GUIDE = DOCUMENT_PATH.parents[2] / "docs" / "integration.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_guide_names_every_topic_type_and_header(doc: dict[str, Any]) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for channel in doc["channels"].values():
        if not channel["address"].startswith("deadletter."):
            assert f"`{channel['address']}`" in text, channel["address"]
    for ce_type in EVENT_TYPES:
        assert f"`{ce_type}`" in text, ce_type
    for header in CLOUDEVENTS_HEADERS:
        assert f"`{header}`" in text, header
    assert "`deadletter.<group>.v1`" in text


def test_guide_code_compiles() -> None:
    blocks = _python_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        compile(block, str(GUIDE), "exec")


def test_guide_webhook_verification_accepts_notify_signatures() -> None:
    """The receiver code in the guide verifies what the notify service signs, also during a rotation."""
    from services.notify.domain import signing

    [verifier] = [b for b in _python_blocks() if "def verify(" in b]
    namespace: dict[str, Any] = {}
    exec(compile(verifier, str(GUIDE), "exec"), namespace)
    verify = namespace["verify"]
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"type":"report.overdue","timestamp":"2022-02-01T01:00:00Z","data":{}}'
    now = int(time.time())
    headers = signing.headers([new, old], "0d4c8a9e-5f1b-4d2a-9c3e-7b6a5f4e3d2c", now, body)
    assert verify(old, headers, body) and verify(new, headers, body)
    assert not verify(signing.new_secret(), headers, body)
    assert not verify(new, headers, body + b" ")
    stale = signing.headers([new], "id", now - 3600, body)
    assert not verify(new, stale, body)
