"""The cursors of :mod:`services.runtime.pages` without a database: a page of rows sorted by a
composite key (a day's report rows) walks every row once, and a cursor that is no cursor is a
422 naming ``after`` — never a 500 from a time UTC cannot hold or an id no column holds."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from fastapi import HTTPException

from services.runtime import pages

ROWS = [(unit, nip, window) for unit in ("bkd", "dinkes") for nip in ("1980", "1990") for window in ("apel", "lokasi")]


def key(row: tuple[str, str, str]) -> tuple[str, str, str]:
    return row


def test_sorted_rows_are_walked_a_page_at_a_time_each_once() -> None:
    walked, after, sizes = [], None, []
    while True:
        page, after = pages.of_sorted(ROWS, key, after, 3)
        walked += page
        sizes.append(len(page))
        if after is None:
            break
    assert walked == ROWS and sizes == [3, 3, 2]
    assert pages.of_sorted(ROWS, key, None, len(ROWS)) == (ROWS, None), "a page that holds every row is the last"


def test_a_cursor_is_opaque_and_carries_the_last_rows_key() -> None:
    _, after = pages.of_sorted(ROWS, key, None, 2)
    assert after is not None and "bkd" not in after  # (base64url: nothing to edit by hand)
    assert pages.parse_key(after) == ROWS[1]


@pytest.mark.parametrize("bad", ["!", "bm90IGpzb24", "eyJhIjogMX0", "WzFd", "é"])
def test_a_key_cursor_that_is_none_is_a_422_naming_after(bad: str) -> None:
    with pytest.raises(HTTPException) as refused:
        pages.parse_key(bad)
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"] == ["query", "after"]  # type: ignore[index]


def test_a_time_cursor_holds_an_aware_utc_time_and_an_id() -> None:
    at = datetime(2026, 12, 7, 1, 5, tzinfo=UTC)
    key_ = UUID("0193a1e2-7c4d-7b7e-9f00-3c2a1d5e6f70")
    assert pages.parse(pages.cursor(at, key_)) == (at, key_)
    assert pages.parse(pages.cursor(at, key_), str) == (at, str(key_))
    assert pages.parse(pages.cursor(at, 42), int) == (at, 42)
    assert pages.parse("2026-12-07T08:05:00+07:00~42", int) == (at, 42), "any offset, read as UTC"


@pytest.mark.parametrize(("bad", "key_type"), [
    ("kemarin", UUID), ("2026-12-07T01:05:00~0193a1e2-7c4d-7b7e-9f00-3c2a1d5e6f70", UUID),  # naive
    ("2026-12-07T01:05:00+00:00~42", UUID), ("2026-12-07T01:05:00+00:00~x", int),
    ("0001-01-01T00:00:00+14:00~1", int), ("9999-12-31T23:59:59-14:00~1", int),  # not a UTC time
    (f"2026-12-07T01:05:00+00:00~{2**63}", int), ("2026-12-07T01:05:00+00:00~-1", int),  # no BIGINT id
])
def test_a_time_cursor_that_is_none_is_a_422_naming_after(bad: str, key_type: type) -> None:
    with pytest.raises(HTTPException) as refused:
        pages.parse(bad, key_type)
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"] == ["query", "after"]  # type: ignore[index]
