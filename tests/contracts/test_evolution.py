"""Within v1 every event schema may only grow: a test that fails on a non-additive change.

``services/contracts/baseline/`` holds the v1 schemas as released. Each current schema
(rendered from the model) must accept everything its baseline accepted:

- no property removed, no property newly required;
- no type changed (nullable counts: ``str`` → ``str | None`` breaks a consumer that
  does not expect ``null``), no format changed;
- enum values only added, never removed (consumers tolerate unknown values);
- no constraint tightened (pattern, minimum/maximum, lengths, item counts);
- no event type or topic removed or renamed.

After an additive change is released, refresh the baseline (copy the new schema over
it), so the next change is checked against what integrators have.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from services.contracts.jsonschema import render
from services.contracts.registry import EVENT_TYPES

BASELINE_DIR = Path(__file__).resolve().parents[2] / "services" / "contracts" / "baseline"
Schema = dict[str, Any]

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


# --- the checker ---------------------------------------------------------------------


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every way ``new`` fails to accept what ``old`` accepted; empty when compatible."""
    return _Comparison(old, new).run()


class _Comparison:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old_root, self.new_root = old, new
        self.problems: list[str] = []
        self._seen: set[tuple[int, int]] = set()

    def run(self) -> list[str]:
        for key in ("x-cloudevents-type", "x-kafka-topic"):
            if self.old_root.get(key) != self.new_root.get(key):
                self.problems.append(f"{key} changed from {self.old_root.get(key)!r} to {self.new_root.get(key)!r}")
        self.node(self.old_root, self.new_root, "$")
        return self.problems

    def node(self, old: Schema, new: Schema, path: str) -> None:
        old, new = _resolve(self.old_root, old), _resolve(self.new_root, new)
        if (id(old), id(new)) in self._seen:
            return
        self._seen.add((id(old), id(new)))
        old_variants = [_resolve(self.old_root, v) for v in _variants(old)]
        new_variants = [_resolve(self.new_root, v) for v in _variants(new)]
        old_kinds = sorted({_kind(v) for v in old_variants})
        new_kinds = sorted({_kind(v) for v in new_variants})
        if old_kinds != new_kinds:
            self.problems.append(f"{path}: type changed from {'|'.join(old_kinds)} to {'|'.join(new_kinds)}")
            return
        for kind in old_kinds:
            olds = [v for v in old_variants if _kind(v) == kind]
            news = [v for v in new_variants if _kind(v) == kind]
            if len(olds) != len(news):
                self.problems.append(f"{path}: the {kind} alternatives changed")
                continue
            for o, n in zip(olds, news, strict=True):
                self.leaf(o, n, path)

    def leaf(self, old: Schema, new: Schema, path: str) -> None:
        old_enum, new_enum = _enum(old), _enum(new)
        if new_enum is not None:
            if old_enum is None:
                self.problems.append(f"{path}: now restricted to {sorted(map(str, new_enum))}")
            elif removed := old_enum - new_enum:
                self.problems.append(f"{path}: enum value(s) removed: {sorted(map(str, removed))}")
        if old.get("format") != new.get("format"):
            self.problems.append(f"{path}: format changed from {old.get('format')} to {new.get('format')}")
        if "pattern" in new and new["pattern"] != old.get("pattern"):
            self.problems.append(f"{path}: pattern changed from {old.get('pattern')!r} to {new['pattern']!r}")
        for key in LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                self.problems.append(f"{path}: {key} tightened from {old.get(key)} to {new[key]}")
        for key in UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                self.problems.append(f"{path}: {key} tightened from {old.get(key)} to {new[key]}")
        if _kind(old) == "object":
            self.object(old, new, path)
        elif _kind(old) == "array" and "items" in old:
            if "items" not in new:
                return  # any item is a superset
            self.node(old["items"], new["items"], f"{path}[]")

    def object(self, old: Schema, new: Schema, path: str) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                self.problems.append(f"{path}.{name}: property removed")
            else:
                self.node(schema, new_props[name], f"{path}.{name}")
        for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
            self.problems.append(f"{path}.{name}: newly required")
        if old.get("additionalProperties", True) is not False and new.get("additionalProperties") is False:
            self.problems.append(f"{path}: no longer accepts unknown properties")


def _resolve(root: Schema, node: Schema) -> Schema:
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported reference {ref}")
        node = root["$defs"][ref.removeprefix("#/$defs/")]
        seen += 1
        if seen > 50:
            raise ValueError(f"reference loop at {ref}")
    return node


def _variants(node: Schema) -> list[Schema]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return list(node[key])
    return [node]


def _kind(node: Schema) -> str:
    if "type" in node:
        kind = node["type"]
        return "|".join(sorted(kind)) if isinstance(kind, list) else kind
    values = _enum(node)
    if values:
        names = {type(v).__name__ for v in values}
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}.get(names.pop(), "any") \
            if len(names) == 1 else "any"
    if "properties" in node:
        return "object"
    return "any"


def _enum(node: Schema) -> set[Any] | None:
    if "const" in node:
        return {_hashable(node["const"])}
    if "enum" in node:
        return {_hashable(v) for v in node["enum"]}
    return None


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


# --- the contract ----------------------------------------------------------------------


def _baseline(ce_type: str) -> Schema:
    return json.loads((BASELINE_DIR / f"{ce_type}.json").read_text(encoding="utf-8"))


BASELINE_TYPES = sorted(p.name.removesuffix(".json") for p in BASELINE_DIR.glob("*.json"))


def test_there_is_a_baseline() -> None:
    assert len(BASELINE_TYPES) >= 8, f"no baseline schemas in {BASELINE_DIR}"


@pytest.mark.parametrize("ce_type", sorted(EVENT_TYPES))
def test_every_v1_event_has_a_baseline(ce_type: str) -> None:
    assert (BASELINE_DIR / f"{ce_type}.json").exists(), (
        f"new event type {ce_type}: once released, copy services/contracts/schemas/{ce_type}.json "
        f"to services/contracts/baseline/ so later changes are checked against it"
    )


@pytest.mark.parametrize("ce_type", BASELINE_TYPES)
def test_v1_schema_only_grew_since_the_baseline(ce_type: str) -> None:
    cls = EVENT_TYPES.get(ce_type)
    assert cls is not None, f"{ce_type} was removed or renamed: within v1 that breaks integrators; add a .v2 instead"
    problems = breaking_changes(_baseline(ce_type), json.loads(render(cls)))
    assert not problems, f"non-additive change to {ce_type} (make a .v2 type and topic instead):\n  " + \
        "\n  ".join(problems)


# --- the checker catches each kind of break -------------------------------------------------


def _mutated(ce_type: str, change: Any) -> Schema:
    schema = copy.deepcopy(_baseline(ce_type))
    change(schema)
    return schema


OVERDUE = "hadir.report.overdue.v1"
DIRECTORY = "hadir.directory.updated.v1"
EVALUATED = "hadir.checkin.evaluated.v1"
ROSTER = "hadir.roster.published.v1"

BREAKS: dict[str, tuple[str, Any, str]] = {
    "property removed": (OVERDUE, lambda s: s["properties"].pop("window_name"), "$.window_name: property removed"),
    "property renamed": (OVERDUE, lambda s: s["properties"].update(employee_nip=s["properties"].pop("employee_id")),
                         "$.employee_id: property removed"),
    "type changed": (OVERDUE, lambda s: s["properties"]["window_id"].update(type="integer"),
                     "$.window_id: type changed from string to integer"),
    "made nullable": (OVERDUE, lambda s: s["properties"].update(
        window_id={"anyOf": [{"type": "string"}, {"type": "null"}]}), "$.window_id: type changed"),
    "made non-nullable": (OVERDUE, lambda s: s["properties"].update(unit_id={"type": "string"}),
                          "$.unit_id: type changed from null|string to string"),
    "format changed": (OVERDUE, lambda s: s["properties"]["local_date"].update(format="date-time"),
                       "$.local_date: format changed from date to date-time"),
    "existing field newly required": (OVERDUE, lambda s: s["required"].append("unit_id"),
                                      "$.unit_id: newly required"),
    "new required field": (OVERDUE, lambda s: (s["properties"].update(region={"type": "string"}),
                                               s["required"].append("region")), "$.region: newly required"),
    "enum value removed": (EVALUATED, lambda s: s["properties"]["status"]["enum"].remove("late"),
                           "$.status: enum value(s) removed: ['late']"),
    "enum in a $defs removed": (EVALUATED, lambda s: s["$defs"]["CheckinKind"]["enum"].remove("location"),
                                "$.kind: enum value(s) removed: ['location']"),
    "nested property removed": (DIRECTORY, lambda s: s["$defs"]["Place"]["properties"].pop("latitude"),
                                "$.employee.places[].latitude: property removed"),
    "nested newly required": (DIRECTORY, lambda s: s["$defs"]["EmployeeRecord"]["required"].append("email"),
                              "$.employee.email: newly required"),
    "array item type changed": (ROSTER, lambda s: s["properties"]["assignments"].update(items={"type": "string"}),
                                "$.assignments[]: type changed from object to string"),
    "pattern added": (OVERDUE, lambda s: s["properties"]["window_id"].update(pattern="^[a-z]+$"),
                      "$.window_id: pattern changed"),
    "maximum tightened": (DIRECTORY, lambda s: s["$defs"]["Place"]["properties"]["latitude"].update(maximum=45),
                          "$.employee.places[].latitude: maximum tightened from 90 to 45"),
    "closed to unknown fields": (OVERDUE, lambda s: s.update(additionalProperties=False),
                                 "$: no longer accepts unknown properties"),
    "topic renamed": (OVERDUE, lambda s: s.update({"x-kafka-topic": "report.late.v1"}), "x-kafka-topic changed"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_checker_detects(name: str) -> None:
    ce_type, change, expected = BREAKS[name]
    problems = breaking_changes(_baseline(ce_type), _mutated(ce_type, change))
    assert any(p.startswith(expected) for p in problems), f"{name}: expected {expected!r}, got {problems}"


ADDITIVE: dict[str, tuple[str, Any]] = {
    "optional field added": (OVERDUE, lambda s: s["properties"].update(
        region={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None})),
    "optional nested object added": (DIRECTORY, lambda s: (
        s["$defs"].update(Office={"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}),
        s["$defs"]["UnitRecord"]["properties"].update(office={"$ref": "#/$defs/Office"}))),
    "enum value added": (EVALUATED, lambda s: s["properties"]["status"]["enum"].append("excused")),
    "required field made optional": (OVERDUE, lambda s: s["required"].remove("window_name")),
    "description and title changed": (OVERDUE, lambda s: s.update(description="changed", title="Renamed")),
    "maximum loosened": (DIRECTORY, lambda s: s["$defs"]["Place"]["properties"]["latitude"].update(maximum=100)),
}


@pytest.mark.parametrize("name", sorted(ADDITIVE))
def test_checker_accepts(name: str) -> None:
    ce_type, change = ADDITIVE[name]
    assert breaking_changes(_baseline(ce_type), _mutated(ce_type, change)) == []


def test_checker_accepts_identical_schemas() -> None:
    for ce_type in BASELINE_TYPES:
        assert breaking_changes(_baseline(ce_type), _baseline(ce_type)) == [], ce_type
