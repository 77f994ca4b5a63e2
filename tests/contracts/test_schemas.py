"""Committed JSON Schemas must match the models integrators read them from."""

import json
import re

import pytest

from services.contracts.jsonschema import render, schema_path
from services.contracts.registry import EVENT_TYPES


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_committed_schema_matches_model(ce_type: str) -> None:
    cls = EVENT_TYPES[ce_type]
    path = schema_path(cls)
    assert path.exists(), f"{path.name} missing: run python -m services.contracts.jsonschema"
    assert json.loads(path.read_text()) == json.loads(render(cls)), (
        f"{path.name} differs from {cls.__name__}: run python -m services.contracts.jsonschema "
        "and review the change (only additive changes within v1)"
    )


def test_every_event_has_a_versioned_topic_and_type() -> None:
    """Everything starts at ``.v1``; a ``.v2`` (a breaking change) exists only beside the ``.v1`` it
    replaces, and an event's type and topic share the version."""
    for ce_type, cls in EVENT_TYPES.items():
        version = ce_type.rsplit(".", 1)[-1]
        assert re.fullmatch(r"v[1-9]\d*", version), ce_type
        assert cls.TOPIC.endswith(f".{version}"), f"{ce_type} on {cls.TOPIC}"
        if version != "v1":
            previous = ce_type.removesuffix(version) + f"v{int(version[1:]) - 1}"
            assert previous in EVENT_TYPES, f"{ce_type} without the {previous} it replaces"
            assert EVENT_TYPES[previous].TOPIC == cls.TOPIC.removesuffix(version) + previous.rsplit(".", 1)[-1]


def test_a_changed_model_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a renamed field changes the rendered schema."""
    from services.contracts.events import ReportOverdue

    original = render(ReportOverdue)
    schema = json.loads(original)
    schema["properties"]["employee_nip"] = schema["properties"].pop("employee_id")
    assert json.loads(original) != schema
