"""JSON Schemas of the event payloads, committed under ``schemas/`` for integrators.

``python -m services.contracts.jsonschema`` rewrites them from the models; a test
fails when a committed schema and its model disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from services.contracts.base import Event
from services.contracts.registry import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_path(cls: type[Event]) -> Path:
    return SCHEMA_DIR / f"{cls.TYPE}.json"


def render(cls: type[Event]) -> str:
    schema = cls.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:hadir:event:{cls.TYPE}"
    schema["x-cloudevents-type"] = cls.TYPE
    schema["x-kafka-topic"] = cls.TOPIC
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all() -> list[Path]:
    written = []
    for cls in EVENT_TYPES.values():
        path = schema_path(cls)
        path.write_text(render(cls), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p, file=sys.stderr)
