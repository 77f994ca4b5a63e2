"""Registering a webhook refuses internal targets (SSRF): loopback, private, link-local,
unspecified, multicast and reserved addresses in every spelling, and host names that
resolve to them, on creation and on update; a public address is accepted. The refusal is
a 422 on ``body.url`` in Bahasa Indonesia, or English when asked.

The notify application runs in-process (routes only) on a SQLite file; ``localhost``
resolves through the machine's own resolver (``/etc/hosts``), no network needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.notify.app import build
from services.notify.settings import NotifySettings
from services.notify.store import Base
from services.runtime import migrations
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

INTERNAL = ("http://127.0.0.1/h", "http://localhost:8080/h", "http://2130706433/h", "http://[::1]/h",
            "http://[::ffff:127.0.0.1]/h", "http://0.0.0.0/h", "http://169.254.169.254/latest/meta-data",
            "http://0177.0.0.1/h", "http://0x7f.1/h", "http://10.0.0.5/h", "http://192.168.1.1/h",
            "http://[fe80::1]/h", "http://224.0.0.1/h", "http://100.64.0.1/h", "http://[::]/h")
PUBLIC = "https://93.184.216.34/hook"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory,
        dev_keys: tuple[Path, Path]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('notify')}/notify.sqlite"
    migrations.upgrade(Path(__file__).parents[2] / "services" / "notify" / "migrations", url, Base.metadata)
    settings = load_settings("notify", 0).model_copy(update={"database_url": url, "jwt_jwks_file": dev_keys[1]})
    app, _ = build(settings, notify_settings=NotifySettings(webhook_allow_private_targets=False))
    yield TestClient(app), Tokens(dev_keys[0]).admin("t1")  # no lifespan: routes only, no Kafka


@pytest.mark.parametrize("target", INTERNAL)
def test_an_internal_webhook_target_is_refused_on_creation(api: tuple[TestClient, dict[str, str]],
                                                          target: str) -> None:
    client, admin = api
    r = client.post("/v1/webhooks", headers=admin, json={"url": target, "event_types": ["*"]})
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "url"] and "alamat internal tidak diizinkan" in error["msg"], error
    assert target not in [h["url"] for h in client.get("/v1/webhooks", headers=admin).json()]


def test_an_update_to_an_internal_target_is_refused_and_a_public_one_accepted(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, admin = api
    created = client.post("/v1/webhooks", headers=admin, json={"url": PUBLIC, "event_types": ["*"]})
    assert created.status_code == 201, created.text
    hook = created.json()["id"]
    r = client.patch(f"/v1/webhooks/{hook}", headers={**admin, "accept-language": "en"},
                     json={"url": "http://[::ffff:169.254.169.254]/latest"})
    assert r.status_code == 422, r.text
    assert "internal address not allowed" in r.json()["detail"][0]["msg"], r.text
    assert client.get(f"/v1/webhooks/{hook}", headers=admin).json()["url"] == PUBLIC
