"""The one error vocabulary: every error leaves as ``{"detail": [{"loc", "msg", "type"}]}``,
in Bahasa Indonesia unless ``Accept-Language`` asks for English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from sqlalchemy.exc import IntegrityError

from services.runtime import errors
from services.runtime.messages import MESSAGES


def app() -> FastAPI:
    application = FastAPI()
    errors.install(application)

    @application.get("/string")
    async def string_detail() -> None:
        raise HTTPException(403, "Bukan unit Anda / not your unit")

    @application.get("/phrase")
    async def reason_phrase() -> None:
        raise HTTPException(404)

    @application.get("/table")
    async def from_table() -> None:
        raise errors.conflict("no_letter_on_day", day="2026-03-02")

    @application.get("/validated")
    async def validated(limit: Annotated[int, Query(ge=1, le=10)]) -> int:
        return limit

    @application.get("/race")
    async def race() -> None:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    return application


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t") as c:
        yield c


def only_item(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], list), body
    [item] = body["detail"]
    assert set(item) == {"loc", "msg", "type"} and isinstance(item["loc"], list), item
    return item


async def test_a_string_detail_comes_out_as_the_list_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/string")
    assert response.status_code == 403
    assert only_item(response) == {"loc": [], "msg": "Bukan unit Anda", "type": "http_403"}


async def test_a_validation_error_comes_out_as_the_list_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/validated", params={"limit": 99})
    assert response.status_code == 422
    item = only_item(response)
    assert item["loc"] == ["query", "limit"] and item["type"] == "less_than_equal"
    assert item["msg"] == "limit: Nilai harus paling banyak 10"


async def test_english_when_asked_indonesian_by_default(client: httpx.AsyncClient) -> None:
    indonesian = only_item(await client.get("/validated", params={"limit": 0}))["msg"]
    english = only_item(await client.get("/validated", params={"limit": 0}, headers={"Accept-Language": "en"}))["msg"]
    assert (indonesian, english) == ("limit: Nilai harus paling sedikit 1", "limit: must be at least 1")
    assert only_item(await client.get("/table", headers={"Accept-Language": "en-GB,en;q=0.9"}))["msg"] == (
        "no circular letter applies on 2026-03-02")
    assert only_item(await client.get("/table"))["msg"] == "Tidak ada surat edaran yang berlaku pada 2026-03-02"
    assert only_item(await client.get("/string", headers={"Accept-Language": "en"}))["msg"] == "not your unit"


async def test_errors_of_the_framework_and_the_database_speak_the_same(client: httpx.AsyncClient) -> None:
    assert only_item(await client.get("/phrase", headers={"Accept-Language": "en"})) == {
        "loc": [], "msg": "not found", "type": "http_404"}
    assert only_item(await client.get("/nowhere"))["msg"] == "Tidak ditemukan"
    race = await client.get("/race")
    assert race.status_code == 409 and only_item(race)["type"] == "concurrent_change"


@pytest.mark.parametrize(("header", "language"), [
    (None, "id"), ("", "id"), ("en", "en"), ("en-US,en;q=0.9", "en"), ("id-ID,id;q=0.9,en;q=0.8", "id"),
    ("fr, en;q=0.5", "en"), ("en;q=0.3, id;q=0.7", "id"), ("de", "id"), ("in", "id"), ("en;q=bogus", "id"),
])
def test_language_of_accept_language(header: str | None, language: str) -> None:
    assert errors.language_of(header) == language


def test_every_message_of_the_table_has_both_languages() -> None:
    for key, (indonesian, english) in MESSAGES.items():
        assert indonesian and english, key
