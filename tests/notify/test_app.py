"""``build(notify_settings=...)``: the override reaches the consumer's handlers, the delivery
loop and the routes (through ``app.state`` and the dependencies of ``services.notify.api``)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.contracts.events import PolicyUpdated, ReportDueSoon
from services.notify.app import build
from services.notify.settings import NotifySettings
from services.notify.store import Base
from services.runtime import migrations
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

NIP = "198001012005010001"


def test_the_override_settings_reach_handlers_worker_and_routes(tmp_path: Path, dev_keys: tuple[Path, Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/notify.sqlite"
    versions = Path(__file__).parents[2] / "services" / "notify" / "migrations"
    migrations.upgrade(versions, url, Base.metadata)  # the migrations, the newest included
    settings = load_settings("notify", 0).model_copy(update={"database_url": url, "jwt_jwks_file": dev_keys[1]})
    override = NotifySettings(default_language="en", consumer_group="override")

    app, rt = build(settings, notify_settings=override)

    assert app.state.notify_settings is override and app.state.delivery.settings is override
    (consumer,) = rt.consumers
    assert consumer.group_id.startswith("hadir-notify-override")
    for event in (ReportDueSoon, PolicyUpdated):
        assert consumer.handlers[event].keywords["planner"].settings is override  # type: ignore[attr-defined]

    client, tokens = TestClient(app), Tokens(dev_keys[0])  # no lifespan: routes only
    mine = client.get("/v1/preferences/me", headers=tokens.employee("t1", NIP, "bkd"))
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"nip": NIP, "language": "en", "channels": [], "explicit": False}

    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(tmp_path / "notify.sqlite") as db:
        db.execute("INSERT INTO notifications (id, tenant, source_event_id, source_event_type, kind, occurrence, "
                   "recipient, channel, language, subject, body, status, attempts, next_attempt_at, created_at, "
                   "updated_at) VALUES ('n1', 't1', 'e1', 't', 'overdue', '', ?, 'log', 'id', 's', 'b', 'dead', 3, "
                   "?, ?, ?)", (NIP, now, now, now))
    woken: list[object] = []
    monkeypatch.setattr(app.state.delivery, "wake", lambda *_: woken.append(True))
    retried = client.post("/v1/notifications/n1/retry", headers=tokens.admin("t1"))
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and woken == [True]  # the route woke this app's loop
