"""docker-compose.yml is valid Compose: it validates against the Compose Specification's JSON
Schema (``tests/deploy/compose-spec.json``, from github.com/compose-spec/compose-spec at
170098b, ``schema/compose-spec.json``) — what ``docker compose config`` checks first, on a
machine without Docker's compose plugin. The check is not vacuous: a misspelt key fails it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())


def problems(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(document)]


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    assert problems(compose()) == []


def test_a_misspelt_or_mistyped_entry_is_refused() -> None:
    misspelt = compose()
    misspelt["services"]["checkin"]["healthchek"] = misspelt["services"]["checkin"].pop("healthcheck", {})
    assert any("healthchek" in p for p in problems(misspelt))
    mistyped = compose()
    mistyped["services"]["policy"]["depends_on"] = 3
    assert any("depends_on" in p for p in problems(mistyped))
