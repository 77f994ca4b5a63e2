"""Minimised events (UU PDP 27/2022): each event carries only what its consumers need.

Walks every committed JSON Schema (``services/contracts/schemas/``, which the models must match:
test_schemas.py), following ``$ref``s, and checks:

- no schema holds coordinates (a ``latitude``/``longitude``-like property) except the deprecated
  ``hadir.directory.updated.v1`` (off by default) and the check-in's own ``location`` in
  ``hadir.checkin.received.v1``, which is policy's input — never a home or place;
- contact details (``email``/``phone``-like properties) only in ``hadir.directory.contact.v1`` (notify's
  alone) and the deprecated ``hadir.directory.updated.v1``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from services.contracts.jsonschema import SCHEMA_DIR

Schema = dict[str, Any]

DEPRECATED_V1 = "hadir.directory.updated.v1"
COORDINATES_ALLOWED = {DEPRECATED_V1: None, "hadir.checkin.received.v1": {"$.location"}}  # None: anywhere
CONTACTS_ALLOWED = {DEPRECATED_V1, "hadir.directory.contact.v1"}


def _schemas() -> dict[str, Schema]:
    return {p.name.removesuffix(".json"): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(SCHEMA_DIR.glob("*.json"))}


SCHEMAS = _schemas()


COORDINATE_WORDS = {"latitude", "longitude", "lat", "lon", "lng"}


def is_coordinate(name: str) -> bool:
    """``latitude``, ``home_lat``, ``lng`` … (whole words: not ``plate``)."""
    return bool(COORDINATE_WORDS & set(name.lower().replace("-", "_").split("_")))


def is_contact(name: str) -> bool:
    lowered = name.lower()
    return "email" in lowered or "e_mail" in lowered or "phone" in lowered or "whatsapp" in lowered


def objects(schema: Schema) -> Iterator[tuple[str, set[str]]]:
    """Every object of ``schema`` with its path (``$.employee.places[]``) and property names, through
    ``$ref``s, ``anyOf``/``oneOf``/``allOf``, array items and additional properties."""
    seen: set[tuple[str, int]] = set()

    def walk(node: Any, path: str) -> Iterator[tuple[str, set[str]]]:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/$defs/"), f"unexpected reference {ref}"
            target = schema["$defs"][ref.removeprefix("#/$defs/")]
            if (path, id(target)) not in seen:
                seen.add((path, id(target)))
                yield from walk(target, path)
        properties = node.get("properties", {})
        if properties:
            yield path, set(properties)
        for name, child in properties.items():
            yield from walk(child, f"{path}.{name}")
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key, ()):
                yield from walk(child, path)
        for key in ("items", "additionalProperties"):
            yield from walk(node.get(key), f"{path}[]")

    yield from walk(schema, "$")


def coordinates_in(ce_type: str, schema: Schema) -> list[str]:
    """Where ``schema`` holds coordinates it may not."""
    allowed = COORDINATES_ALLOWED.get(ce_type, set())
    return [f"{ce_type} {path}: {sorted(n for n in names if is_coordinate(n))}"
            for path, names in objects(schema)
            if any(map(is_coordinate, names)) and allowed is not None and path not in allowed]


def contacts_in(ce_type: str, schema: Schema) -> list[str]:
    if ce_type in CONTACTS_ALLOWED:
        return []
    return [f"{ce_type} {path}: {sorted(n for n in names if is_contact(n))}"
            for path, names in objects(schema) if any(map(is_contact, names))]


def test_every_event_type_has_a_committed_schema_to_walk() -> None:
    assert len(SCHEMAS) >= 13 and {"hadir.directory.updated.v2", "hadir.directory.contact.v1"} <= set(SCHEMAS)


@pytest.mark.parametrize("ce_type", sorted(SCHEMAS))
def test_no_coordinates_outside_the_deprecated_v1_and_the_checkin_itself(ce_type: str) -> None:
    assert coordinates_in(ce_type, SCHEMAS[ce_type]) == []


@pytest.mark.parametrize("ce_type", sorted(SCHEMAS))
def test_contact_details_only_on_the_contacts_topic_and_the_deprecated_v1(ce_type: str) -> None:
    assert contacts_in(ce_type, SCHEMAS[ce_type]) == []


def test_the_walk_finds_what_the_allowed_schemas_hold() -> None:
    """The checks above can see: the walker reaches nested, referenced and listed objects."""
    v1 = dict(objects(SCHEMAS[DEPRECATED_V1]))
    assert {"latitude", "longitude"} <= v1["$.employee.places[]"]
    assert {"email", "phone"} <= v1["$.employee"]
    assert {"latitude", "longitude"} <= dict(objects(SCHEMAS["hadir.checkin.received.v1"]))["$.location"]
    assert {"email", "phone"} <= dict(objects(SCHEMAS["hadir.directory.contact.v1"]))["$"]


def test_places_or_contacts_added_to_v2_are_caught() -> None:
    """Giving the v2 employee profile v1's places (or a contact field) fails the checks."""
    v1, v2 = SCHEMAS[DEPRECATED_V1], copy.deepcopy(SCHEMAS["hadir.directory.updated.v2"])
    v2["$defs"]["Place"] = v1["$defs"]["Place"]
    v2["$defs"]["EmployeeProfile"]["properties"]["places"] = {"type": "array", "items": {"$ref": "#/$defs/Place"}}
    assert coordinates_in("hadir.directory.updated.v2", v2) == [
        "hadir.directory.updated.v2 $.employee.places[]: ['latitude', 'longitude']"]
    v2["$defs"]["EmployeeProfile"]["properties"]["email"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert contacts_in("hadir.directory.updated.v2", v2) == ["hadir.directory.updated.v2 $.employee: ['email']"]
    verdict = copy.deepcopy(SCHEMAS["hadir.checkin.evaluated.v1"])
    verdict["properties"]["home_lat"] = {"type": "number"}
    verdict["properties"]["home"] = {"type": "object", "properties": {"latitude": {"type": "number"}}}
    verdict["properties"]["template"] = {"type": "string"}
    assert coordinates_in("hadir.checkin.evaluated.v1", verdict) == [
        "hadir.checkin.evaluated.v1 $: ['home_lat']", "hadir.checkin.evaluated.v1 $.home: ['latitude']"]
