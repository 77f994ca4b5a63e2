"""What the check-in privacy tests share: check-ins with coordinates no other number in a
response could match, the verdicts policy would send back for them, and the access-log
events the service staged (read from its outbox table) and published."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import select, update

from services.checkin.store import Checkin, outbox
from services.contracts import topics
from services.contracts.events import CheckinEvaluated, LocationRead
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService
from tests.support.records import read_to_end
from tests.support.waiting import eventually

# Digits that appear nowhere else in a response: a leak of either shows as this text.
POINTS = [(-6.1234567, 106.7654321), (-6.2345678, 106.8765432), (-6.3456789, 106.9876543)]


def digits(point: tuple[float, float]) -> list[str]:
    """The distinctive digits of a point, as any rendering of it (JSON, CSV) would show them."""
    return [f"{abs(value):.7f}".split(".")[1] for value in point]


async def submit(checkin: CheckinService, tenant: str, nip: str, unit: str, captured: datetime,
                 kind: str = "location", point: tuple[float, float] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "captured_at": captured.isoformat(), **fields}
    if point is not None:
        body["location"] = {"latitude": point[0], "longitude": point[1], "accuracy_m": 9.5}
    response = await checkin.client.post("/v1/checkins", headers=checkin.employee(tenant, nip, unit), json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def judged(checkin: CheckinService, bootstrap: str, tenant: str, stored: dict[str, Any], *, place: str,
                 distance_m: float) -> None:
    """Publish policy's verdict on a stored check-in and wait until the service applied it."""
    captured = datetime.fromisoformat(stored["captured_at"])
    await kafka_io.publish(bootstrap, tenant, [CheckinEvaluated(
        checkin_id=uuid.UUID(stored["id"]), employee_id=stored["employee_id"], unit_id=stored["unit_id"],
        kind=stored["kind"], captured_at=captured, received_at=captured, local_date=captured.date(),
        window_id="lokasi", status="on_time", geofence="inside", distance_m=distance_m, nearest_place=place)])

    async def applied() -> bool:
        async with checkin.rt.sessions() as session:
            row = await session.get(Checkin, stored["id"])
            return row is not None and row.status == "on_time"

    await eventually(applied, timeout=30, what=f"verdict on {stored['id']} applied")


async def reduce(checkin: CheckinService, checkin_id: str, at: datetime) -> None:
    """What retention does to an old check-in: its coordinates leave the payload, ``reduced_at`` is set."""
    async with checkin.rt.sessions() as session, session.begin():
        row = await session.get(Checkin, checkin_id)
        assert row is not None
        payload = {k: v for k, v in row.payload.items() if k != "location"}
        await session.execute(update(Checkin).where(Checkin.id == checkin_id).values(payload=payload, reduced_at=at))


async def location_reads(checkin: CheckinService, tenant: str) -> list[dict[str, Any]]:
    """The ``LocationRead`` events the service staged for the tenant, oldest first."""
    async with checkin.rt.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload, outbox.c.topic, outbox.c.subject).where(
            outbox.c.tenant == tenant, outbox.c.ce_type == LocationRead.TYPE).order_by(outbox.c.id))).all()
    assert all(r.topic == LocationRead.TOPIC for r in rows)
    reads = [json.loads(r.payload) for r in rows]
    assert [r.subject for r in rows] == [e["employee_id"] for e in reads], "keyed by whose data was read"
    return reads


async def published_reads(checkin: CheckinService, bootstrap: str, tenant: str) -> list[ConsumerRecord]:
    """The tenant's ``LocationRead`` records on their topic, once the relay published every staged one."""
    async def done() -> bool:
        async with checkin.rt.sessions() as session:
            rows = (await session.execute(select(outbox.c.published_at).where(
                outbox.c.tenant == tenant, outbox.c.ce_type == LocationRead.TYPE))).all()
        return bool(rows) and all(r.published_at is not None for r in rows)

    await eventually(done, timeout=30, what="the access-log events published")
    return await read_to_end(bootstrap, topics.LOCATION_READ, tenant)
