"""Webhook signing secrets at rest, on real PostgreSQL: secrets written before encryption
(plaintext ``whsec_…``) and tokens of a retired key are re-encrypted with the first key of
``HADIR_NOTIFY_SECRET_KEYS`` when the service starts, and stay the same secrets; the delivery
signs with them all along."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from services.notify import sealing
from services.notify.channels import webhook
from services.notify.channels.base import Message
from services.notify.domain import signing
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSecret
from services.runtime.service import ServiceRuntime
from services.runtime.settings import ConfigurationError, Settings
from tests.notify.inprocess import subscribe
from tests.notify.receivers import HttpReceiver, verify_standard_webhook

pytestmark = pytest.mark.infra


async def test_legacy_plaintext_and_old_key_secrets_are_resealed_with_the_new_key(rt: ServiceRuntime) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    legacy, rotated = signing.new_secret(), signing.new_secret()
    receiver = HttpReceiver()
    receiver.start()
    try:
        hook = await subscribe(rt, sealing.SecretBox([old_key]), "t1", receiver.url + "/sealed",
                               stored=[legacy, sealing.SecretBox([old_key]).seal(rotated)])
        box = sealing.SecretBox([new_key, old_key])  # rotation: the new key first, the old one still reads

        assert await sealing.reseal(rt.sessions, box) == 2
        assert await sealing.reseal(rt.sessions, box) == 0  # nothing left to do
        async with rt.sessions() as session:
            stored = list(await session.scalars(select(WebhookSecret.secret)))
        assert {Fernet(new_key).decrypt(value.encode()).decode() for value in stored} == {legacy, rotated}
        for value in stored:
            assert not value.startswith("whsec_")
            with pytest.raises(InvalidToken):
                Fernet(old_key).decrypt(value.encode())  # the old key can go

        async with webhook.client() as client:  # and the delivery signs with both, under the new key alone
            sender = webhook.WebhookSender(NotifySettings(webhook_allow_private_targets=True), client,
                                           rt.sessions, sealing.SecretBox([new_key]))
            outcome = await sender.send(Message(id=str(uuid.uuid4()), tenant="t1", kind="overdue", channel="webhook",
                                                recipient=hook, address=None, language="id", subject="s", body="{}",
                                                attempt=1))
        assert outcome.result == "ok", outcome
        [request] = receiver.at("/sealed")
        for secret in (legacy, rotated):
            verify_standard_webhook(secret, request.headers, request.body)
    finally:
        receiver.stop()


def test_a_development_key_is_made_once_when_no_key_is_configured(tmp_path: Path) -> None:
    dev = Settings(service="notify", var_dir=tmp_path, environment="development")
    first = sealing.from_settings(NotifySettings(), dev)
    token = first.seal("whsec_x")
    assert (tmp_path / sealing.DEV_KEY_FILE).exists()
    assert sealing.from_settings(NotifySettings(), dev).open(token) == "whsec_x"
    configured = sealing.from_settings(NotifySettings(secret_keys=Fernet.generate_key().decode()), dev)
    with pytest.raises(InvalidToken):
        configured.open(token)


def test_outside_development_a_missing_key_stops_the_service(tmp_path: Path) -> None:
    production = Settings(service="notify", var_dir=tmp_path, environment="production")
    with pytest.raises(ConfigurationError, match="HADIR_NOTIFY_SECRET_KEYS"):
        sealing.from_settings(NotifySettings(), production)
    assert not (tmp_path / sealing.DEV_KEY_FILE).exists(), "no development key outside development"
    key = Fernet.generate_key().decode()
    assert sealing.from_settings(NotifySettings(secret_keys=key), production).open(
        sealing.from_settings(NotifySettings(secret_keys=key), production).seal("whsec_y")) == "whsec_y"
    with pytest.raises(ConfigurationError, match="not a list of Fernet keys"):
        sealing.from_settings(NotifySettings(secret_keys="change-me-notify-secret-keys"), production)
