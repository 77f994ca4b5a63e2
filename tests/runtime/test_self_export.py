"""The data-subject download form every service answers ``GET /v1/me/export`` with."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from pydantic import BaseModel

from services.runtime.self_export import SelfExport, response

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


class Place(BaseModel):
    name: str
    latitude: float


def export() -> SelfExport:
    return SelfExport("policy", "banten", "198001012006041001", AT, {
        "profile": [{"name": "=HYPERLINK(\"http://x\")", "joined": date(2006, 4, 1), "tags": ["a", "b"]}],
        "places": [Place(name="Rumah", latitude=-6.12), Place(name="Kantor", latitude=-6.2)],
        "empty": [],
    })


def test_json_keeps_every_section_and_record_with_its_identity() -> None:
    body = json.loads(export().as_json())
    assert body["service"] == "policy" and body["tenant"] == "banten"
    assert body["employee_id"] == "198001012006041001" and body["generated_at"] == AT.isoformat()
    assert body["sections"]["profile"] == [{"name": "=HYPERLINK(\"http://x\")", "joined": "2006-04-01",
                                            "tags": ["a", "b"]}]
    assert body["sections"]["places"] == [{"name": "Rumah", "latitude": -6.12}, {"name": "Kantor", "latitude": -6.2}]
    assert body["sections"]["empty"] == []


def test_csv_is_one_long_table_of_every_field_and_no_cell_is_a_formula() -> None:
    rows = list(csv.reader(io.StringIO(export().as_csv().decode("utf-8-sig"))))
    assert rows[0] == ["section", "record", "field", "value"]
    body = [r for r in rows[1:] if r[0] != "_export"]
    assert ["places", "2", "name", "Kantor"] in body and ["places", "2", "latitude", "-6.2"] in body
    assert ["profile", "1", "tags", '["a", "b"]'] in body
    assert ["profile", "1", "name", "'=HYPERLINK(\"http://x\")"] in body  # neutralised, not run
    assert {r[2]: r[3] for r in rows[1:] if r[0] == "_export"}["employee_id"] == "198001012006041001"
    assert len(body) == 3 + 2 * 2


def test_response_is_a_named_uncached_attachment() -> None:
    for fmt, media in (("json", "application/json"), ("csv", "text/csv; charset=utf-8")):
        answer = response(export(), fmt)  # type: ignore[arg-type]
        assert answer.media_type == media
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="hadir-policy-198001012006041001-2026-12-07.{fmt}"')
        assert answer.headers["cache-control"] == "no-store"
