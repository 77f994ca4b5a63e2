"""Fixtures of the notify tests: real Kafka and PostgreSQL (session fixtures of the
suite), a real SMTP server, a real HTTP receiver, and notify running as a process (or its
runtime in the test's process, ``rt``, on a fresh database).

The servers and the notify process are started once for the package (not per module): the
``test_delivery_*`` modules share them, each test with a tenant, addresses and receiver
paths of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from services.notify.store import Base
from services.runtime import migrations
from services.runtime.service import ServiceRuntime
from tests.notify.harness import Bus, NotifyService, free_port
from tests.notify.inprocess import MIGRATIONS, runtime
from tests.notify.receivers import HttpReceiver, MailServer
from tests.support import infra
from tests.support.tokens import Tokens

WHATSAPP_PHONE_ID = "106540352242922"
WHATSAPP_TOKEN = "test-whatsapp-token"
SECRET_KEY = "mpyDvmwtsu9lZRBXosrnCbZ1qTDH41BEUz_0vbEnJ7c="  # Fernet key of webhook secrets at rest


@pytest.fixture(scope="session")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture
async def rt(pg_url: str) -> AsyncIterator[ServiceRuntime]:
    """Notify's runtime in the test's process, on a fresh migrated PostgreSQL database."""
    await migrations.upgrade_async(MIGRATIONS, pg_url, Base.metadata)
    one = runtime(pg_url)
    yield one
    await one.engine.dispose()


@pytest.fixture(scope="package")
def mail() -> Iterator[MailServer]:
    server = MailServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
async def bus(kafka_bootstrap: str) -> AsyncIterator[Bus]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    yield Bus(producer, kafka_bootstrap)
    await producer.stop()


def service_env(kafka_bootstrap: str, dev_keys: tuple[Path, Path], mail: MailServer, receiver: HttpReceiver,
                **overrides: str) -> dict[str, str]:
    env = {
        "HADIR_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "HADIR_JWT_JWKS_FILE": str(dev_keys[1]),
        "HADIR_LOG_LEVEL": "INFO",
        "HADIR_OUTBOX_POLL_SECONDS": "0.2",
        "HADIR_NOTIFY_CONSUMER_GROUP": f"test-{uuid.uuid4().hex[:10]}",
        "HADIR_NOTIFY_SMTP_HOST": "127.0.0.1",
        "HADIR_NOTIFY_SMTP_PORT": str(mail.port),
        "HADIR_NOTIFY_SMTP_FROM": "Hadir Uji <hadir@uji.go.id>",
        "HADIR_NOTIFY_WHATSAPP_BASE_URL": f"{receiver.url}/wa/v21.0",
        "HADIR_NOTIFY_WHATSAPP_TOKEN": WHATSAPP_TOKEN,
        "HADIR_NOTIFY_WHATSAPP_PHONE_NUMBER_ID": WHATSAPP_PHONE_ID,
        "HADIR_NOTIFY_DEFAULT_CHANNELS": "email",
        "HADIR_NOTIFY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "HADIR_NOTIFY_SECRET_KEYS": SECRET_KEY,
        "HADIR_NOTIFY_DELIVERY_POLL_SECONDS": "0.2",
        "HADIR_NOTIFY_RETRY_BASE_SECONDS": "0.3",
        "HADIR_NOTIFY_RETRY_MAX_SECONDS": "1.5",
        "HADIR_NOTIFY_RETRY_HORIZON_SECONDS": "8",
        "HADIR_NOTIFY_LEASE_SECONDS": "5",
        "HADIR_NOTIFY_SEND_TIMEOUT_SECONDS": "3",
        # No default quiet hours (start = end: none), or a test run at night in WIB would see
        # every message to a person wait until 06:00. The quiet-hours tests set their own.
        "HADIR_NOTIFY_QUIET_HOURS_START": "00:00",
        "HADIR_NOTIFY_QUIET_HOURS_END": "00:00",
    }
    env.update(overrides)
    return env


@pytest.fixture(scope="package")
async def notify(kafka_bootstrap: str, postgres_server: infra.PostgresServer, dev_keys: tuple[Path, Path],
                 tokens: Tokens, mail: MailServer, receiver: HttpReceiver,
                 artifacts_dir: Path) -> AsyncIterator[NotifyService]:
    """One notify process shared by the package's tests; each test uses its own tenant."""
    service = NotifyService(log_dir=artifacts_dir / "notify-logs" / "shared", tokens=tokens,
                            database_url=await postgres_server.create_database("hadir_notify"),
                            env=service_env(kafka_bootstrap, dev_keys, mail, receiver))
    service.start()
    yield service
    service.stop()
    await service.close()
