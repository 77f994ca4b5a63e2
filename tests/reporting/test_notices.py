"""A window's notices encoded from one template are exactly what the event model encodes (pure)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.contracts.events import ReportDueSoon, ReportOverdue
from services.reporting.notices import payload_factory

COMMON = {"local_date": date(2026, 12, 7), "window_id": "pagi", "window_name": "Absen \"pagi\" \\ jam 07.30",
          "deadline": datetime(2026, 12, 7, 0, 45, tzinfo=UTC), "timezone": "Asia/Makassar"}


@given(st.text(max_size=30), st.text(max_size=30))
@pytest.mark.parametrize("cls", [ReportOverdue, ReportDueSoon])
def test_each_payload_is_the_models_own_json(cls, nip: str, unit: str) -> None:  # type: ignore[no-untyped-def]
    build = payload_factory(cls, ("employee_id", "unit_id"), **COMMON)
    expected = cls(employee_id=nip, unit_id=unit, **COMMON).model_dump_json()
    assert build(employee_id=nip, unit_id=unit) == expected.encode()
    assert list(json.loads(build(employee_id=nip, unit_id=unit))) == list(json.loads(expected))


def test_the_varying_fields_must_be_the_declared_ones() -> None:
    build = payload_factory(ReportOverdue, ("employee_id", "unit_id"), **COMMON)
    with pytest.raises(ValueError, match="unit_id"):
        build(employee_id="199001012015031001")
