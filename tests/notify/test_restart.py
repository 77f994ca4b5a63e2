"""A crash in the middle of the retries: the schedule is in the database, so the next
process resumes it and the receiver gets exactly one successful delivery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.notify.conftest import service_env
from tests.notify.harness import Bus, NotifyService, nip, overdue, tenant_id
from tests.notify.receivers import HttpReceiver, MailServer
from tests.support import infra
from tests.support.tokens import Tokens

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
async def crashable(kafka_bootstrap: str, postgres_server: infra.PostgresServer, dev_keys: tuple[Path, Path],
                    tokens: Tokens, mail: MailServer, receiver: HttpReceiver,
                    artifacts_dir: Path) -> AsyncIterator[NotifyService]:
    env = service_env(kafka_bootstrap, dev_keys, mail, receiver,
                      HADIR_NOTIFY_RETRY_BASE_SECONDS="1", HADIR_NOTIFY_RETRY_MAX_SECONDS="2",
                      HADIR_NOTIFY_RETRY_HORIZON_SECONDS="300", HADIR_NOTIFY_LEASE_SECONDS="3")
    service = NotifyService(log_dir=artifacts_dir / "notify-logs" / f"restart-{uuid.uuid4().hex[:6]}",
                            tokens=tokens, env=env,
                            database_url=await postgres_server.create_database("hadir_notify_restart"))
    service.start()
    yield service
    service.stop()
    await service.close()


async def test_restart_in_the_middle_of_retries_resumes_them(
    crashable: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    service = crashable
    tenant = tenant_id("crash")
    path = f"/hooks/{tenant}"
    receiver.answer_always(path, 503)
    await service.configure(tenant)
    r = await service.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                                json={"url": receiver.url + path, "event_types": ["report.overdue"]})
    assert r.status_code == 201, r.text
    ce_id = await bus.publish(tenant, overdue(nip(60), "bkd", "w1"))

    [pending] = await service.wait_for(
        tenant, "a retry pending after two failures",
        lambda rows: rows and rows[0]["attempts"] >= 2 and rows[0]["status"] == "pending",
        source_event_id=ce_id, channel="webhook", timeout=30)
    service.kill()  # SIGKILL: no shutdown hook runs
    failed_before = len(receiver.at(path))
    receiver.answer_always(path, 200)
    await asyncio.sleep(2.5)
    assert len(receiver.at(path)) == failed_before, "nothing may be sent while the service is down"

    service.start()
    [row] = await service.wait_for(tenant, "delivered after the restart",
                                   lambda rows: rows and rows[0]["status"] == "sent",
                                   source_event_id=ce_id, channel="webhook", timeout=30)
    await asyncio.sleep(1.5)
    requests = receiver.at(path)
    assert [q.answered for q in requests].count(200) == 1
    assert all(q.answered == 503 for q in requests[:-1]) and requests[-1].answered == 200
    assert {q.headers["webhook-id"] for q in requests} == {pending["id"]}
    assert row["id"] == pending["id"] and row["attempts"] == len(requests) > pending["attempts"]
    detail = await service.detail(tenant, row["id"])
    outcomes = [(a["attempt"], a["outcome"]) for a in detail["attempt_log"]]
    assert outcomes[-1] == (row["attempts"], "ok")
    assert [o for _, o in outcomes[:-1]] == ["retry"] * (row["attempts"] - 1)
    # One row per (event, recipient, channel), whatever Kafka redelivered after the crash.
    rows = await service.log(tenant, source_event_id=ce_id)
    assert sorted(r_["channel"] for r_ in rows) == ["log", "webhook"]
