"""Submitting check-ins: idempotent retries (single and batch), per-item batch results,
row and event stored together or not at all."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.contracts import topics
from services.runtime import outbox
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip, running_checkin
from tests.support.records import read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

NIP = nip(11)


def location(seconds_ago: float = 0, lat: float = -6.1202) -> dict[str, Any]:
    captured = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {"kind": "location", "captured_at": captured.isoformat(),
            "location": {"latitude": lat, "longitude": 106.1503, "accuracy_m": 8}}


async def published(checkin: CheckinService, tenant: str) -> list[Any]:
    async def done() -> list[Any] | None:
        rows = await checkin.outbox_rows(tenant)
        return rows if rows and all(r.published_at is not None for r in rows) else None

    return await eventually(done, timeout=30, what="outbox rows published")


async def test_five_retries_store_one_row_and_publish_one_event(checkin: CheckinService,
                                                                kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = {**checkin.employee(tenant, NIP), "Idempotency-Key": "hp-0001"}
    payload = location()

    answers = [await checkin.client.post("/v1/checkins", json=payload, headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [201] * 5
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None] + ["true"] * 4
    assert all(a.json() == answers[0].json() for a in answers), "a retry must return the first result"

    conflict = await checkin.client.post("/v1/checkins", json=location(lat=-6.2), headers=headers)
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert "idempotency" in conflict.json()["detail"][0]["msg"].lower()

    rows = await checkin.rows(tenant)
    assert [r.id for r in rows] == [answers[0].json()["id"]]
    [event_row] = await published(checkin, tenant)
    records = await read_to_end(kafka_bootstrap, topics.CHECKIN_RECEIVED, tenant)
    assert [kafka_io.headers(r)["ce_id"] for r in records] == [event_row.event_id]
    event = json.loads(records[0].value)
    assert event["checkin_id"] == rows[0].id and event["employee_id"] == NIP
    assert records[0].key == f"{tenant}/{NIP}".encode()


async def test_concurrent_retries_store_one_row(checkin: CheckinService) -> None:
    """Retries racing each other (a flaky network resends before the first answer)."""
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = {**checkin.employee(tenant, NIP), "Idempotency-Key": "race-1"}
    payload = location()
    answers = await asyncio.gather(*(checkin.client.post("/v1/checkins", json=payload, headers=headers)
                                     for _ in range(5)))
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true", "true", "true", "true"]
    assert len(await checkin.rows(tenant)) == 1 and len(await checkin.outbox_rows(tenant)) == 1


async def test_batch_answers_each_item(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = checkin.employee(tenant, NIP)
    stored_before = location(300)
    first = await checkin.client.post("/v1/checkins", json=stored_before, headers={**headers, "Idempotency-Key": "s-1"})
    assert first.status_code == 201

    new_a, new_b = location(200), location(100, lat=-6.3)
    items: list[Any] = [
        {**new_a, "idempotency_key": "b-1"},                         # 0 new
        {**stored_before, "idempotency_key": "s-1"},                 # 1 stored earlier by the single POST: replay
        {**location(50, lat=95), "idempotency_key": "b-2"},          # 2 invalid latitude
        {**new_b, "idempotency_key": "b-3"},                         # 3 new
        {**new_a, "idempotency_key": "b-1"},                         # 4 same key, same payload as item 0: replay
        {**new_b, "device_id": "other", "idempotency_key": "b-3"},   # 5 same key as 3, other payload
        {**location(10, lat=-7), "idempotency_key": "s-1"},          # 6 key stored earlier, other payload
        "not an object",                                             # 7
        {**location(5)},                                             # 8 no key
        {**location(seconds_ago=73 * 3600), "idempotency_key": "b-4"},  # 9 too old (no policy: 72 h)
    ]
    response = await checkin.client.post("/v1/checkins/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    result = response.json()
    statuses = [(r["index"], r["status"], r["replayed"]) for r in result["results"]]
    assert statuses == [(0, 201, False), (1, 201, True), (2, 422, False), (3, 201, False), (4, 201, True),
                        (5, 409, False), (6, 409, False), (7, 422, False), (8, 422, False), (9, 422, False)]
    assert (result["accepted"], result["replayed"], result["rejected"]) == (2, 2, 6)
    by_index = {r["index"]: r for r in result["results"]}
    assert by_index[1]["checkin"] == first.json()
    assert by_index[4]["checkin"] == by_index[0]["checkin"]
    assert by_index[2]["errors"][0]["loc"] == ["body", "items", 2, "location", "latitude"]
    assert by_index[5]["errors"][0]["loc"] == ["body", "items", 5, "idempotency_key"]
    assert by_index[7]["errors"][0]["loc"] == ["body", "items", 7]
    assert by_index[8]["errors"][0]["loc"] == ["body", "items", 8, "idempotency_key"]
    assert by_index[9]["errors"][0]["loc"] == ["body", "items", 9, "captured_at"]
    assert all(e["msg"] and " / " not in e["msg"] for r in result["results"] for e in r["errors"] or [])
    assert by_index[8]["errors"][0]["msg"] == "idempotency_key: Wajib diisi"  # Bahasa Indonesia unless asked

    rows = await checkin.rows(tenant)
    assert sorted(r.idempotency_key for r in rows) == ["b-1", "b-3", "s-1"]
    events = await checkin.outbox_rows(tenant)
    assert sorted(json.loads(e.payload)["checkin_id"] for e in events) == sorted(r.id for r in rows)
    # Events of a batch are staged in item order (the relay publishes in outbox order).
    batch_events = [json.loads(e.payload)["checkin_id"] for e in events][1:]
    assert batch_events == [by_index[0]["checkin"]["id"], by_index[3]["checkin"]["id"]]

    again = await checkin.client.post("/v1/checkins/batch", json={"items": items}, headers=headers)
    assert [(r["status"], r["replayed"]) for r in again.json()["results"]] == [
        (201, True), (201, True), (422, False), (201, True), (201, True),
        (409, False), (409, False), (422, False), (422, False), (422, False)]
    assert again.json()["accepted"] == 0
    assert len(await checkin.rows(tenant)) == 3 and len(await checkin.outbox_rows(tenant)) == 3


async def test_batch_of_500_in_one_request_and_501_refused(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = checkin.employee(tenant, NIP)
    too_many = [{**location(600 - i), "idempotency_key": f"o-{i}"} for i in range(501)]
    refused = await checkin.client.post("/v1/checkins/batch", json={"items": too_many}, headers=headers)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "items"]
    assert "500" in refused.json()["detail"][0]["msg"]
    assert await checkin.rows(tenant) == []

    started = time.perf_counter()
    response = await checkin.client.post("/v1/checkins/batch", json={"items": too_many[:500]}, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["accepted"] == 500, response.text[:500]
    print(f"\nbatch of 500 accepted in {elapsed * 1000:.0f} ms")
    events = await checkin.outbox_rows(tenant)
    ids = [json.loads(e.payload)["checkin_id"] for e in events]
    assert ids == [r["checkin"]["id"] for r in response.json()["results"]]


async def test_nothing_half_stored_when_the_events_cannot_be_stored(checkin: CheckinService,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Row and event commit together: when the outbox insert fails (here: two events with the
    same id violate its unique key) the check-in rows already inserted roll back with it, and
    the client is told to retry (409)."""
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    real_envelope_for = outbox.envelope_for
    monkeypatch.setattr(outbox, "envelope_for",
                        lambda *a, **kw: dataclasses.replace(real_envelope_for(*a, **kw), id="same-id"))
    items = [{**location(60 - i), "idempotency_key": f"h-{i}"} for i in range(3)]
    refused = await checkin.client.post("/v1/checkins/batch", json={"items": items},
                                        headers=checkin.employee(tenant, NIP))
    assert refused.status_code == 409 and refused.json()["detail"][0]["type"] == "concurrent_change"
    assert await checkin.rows(tenant) == [] and await checkin.outbox_rows(tenant) == []

    monkeypatch.undo()
    retried = await checkin.client.post("/v1/checkins/batch", json={"items": items},
                                        headers=checkin.employee(tenant, NIP))
    assert retried.json()["accepted"] == 3
    assert len(await checkin.rows(tenant)) == 3 and len(await checkin.outbox_rows(tenant)) == 3


async def test_sqlite_embedded_mode_accepts_and_replays_without_kafka(tmp_path: Path, dev_keys: tuple[Path, Path],
                                                                      tokens: Tokens) -> None:
    """``make run`` keeps the service databases in SQLite; Kafka unreachable does not matter."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'checkin.db'}"
    async with running_checkin(url, "127.0.0.1:1", dev_keys[1], tokens) as service:
        tenant = new_tenant()
        await service.seed_employees(tenant, [NIP], timezone="Asia/Makassar")
        headers = service.employee(tenant, NIP)
        item = {**location(30), "idempotency_key": f"sq-{uuid.uuid4().hex[:6]}"}
        one = await service.client.post("/v1/checkins/batch", json={"items": [item, item]}, headers=headers)
        assert [(r["status"], r["replayed"]) for r in one.json()["results"]] == [(201, False), (201, True)]
        plain = {k: v for k, v in item.items() if k != "idempotency_key"}
        single = await service.client.post("/v1/checkins", json=plain,
                                           headers={**headers, "Idempotency-Key": item["idempotency_key"]})
        assert single.status_code == 201 and single.headers["Idempotent-Replayed"] == "true"
        assert single.json() == one.json()["results"][0]["checkin"]
        mine = await service.client.get("/v1/checkins/mine", headers=headers)
        assert [c["id"] for c in mine.json()["items"]] == [single.json()["id"]]
        assert mine.json()["items"][0]["captured_at"].endswith("Z")
        assert await service.pending() == 1


async def test_openapi_documents_batch_items_and_their_key(checkin: CheckinService) -> None:
    spec = (await checkin.client.get("/openapi.json")).json()
    body = spec["paths"]["/v1/checkins/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    items = body["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 500)
    assert "idempotency_key" in items["items"]["required"]
    assert items["items"]["properties"]["location"]["anyOf"][0]["$ref"] == "#/components/schemas/LocationIn"
    assert "LocationIn" in spec["components"]["schemas"]


async def test_a_retry_is_answered_even_when_its_capture_time_is_now_out_of_bounds(checkin: CheckinService) -> None:
    """The client retries after the limit has passed (here: a stricter policy arrives between
    the attempts): it must learn that its check-in was stored, not get a 422."""
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = {**checkin.employee(tenant, NIP), "Idempotency-Key": "late-1"}
    payload = location(seconds_ago=30 * 3600)
    first = await checkin.client.post("/v1/checkins", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    await checkin.seed_policy(tenant, limit_hours=24, valid_from=datetime.now(UTC).date() - timedelta(days=10))

    retry = await checkin.client.post("/v1/checkins", json=payload, headers=headers)
    assert retry.status_code == 201 and retry.json() == first.json()
    in_batch = await checkin.client.post("/v1/checkins/batch", headers=checkin.employee(tenant, NIP), json={
        "items": [{**payload, "idempotency_key": "late-1"}, {**payload, "idempotency_key": "late-2"}]})
    assert [(r["status"], r["replayed"]) for r in in_batch.json()["results"]] == [(201, True), (422, False)]
    assert len(await checkin.rows(tenant)) == 1
