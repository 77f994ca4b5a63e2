"""The dead-letter store's decisions, with a publish function the test controls (no broker):
what may pass later is retried, what Kafka refuses for good is stored in parts, and when even
that is refused the record is given up loudly — the store never raises."""

from __future__ import annotations

import hashlib

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from prometheus_client import CollectorRegistry

from services.runtime import dead_letters
from services.runtime.dead_letters import DeadLetters
from services.runtime.metrics import RuntimeMetrics


class Kafka:
    """Fails the first sends with ``errors`` (one per send), then applies ``limit`` to the value."""

    def __init__(self, *errors: Exception, limit: int | None = None) -> None:
        self.errors = list(errors)
        self.limit = limit
        self.stored: list[tuple[bytes, dict[str, str]]] = []

    async def publish(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        if self.errors:
            raise self.errors.pop(0)
        if self.limit is not None and len(value) > self.limit:
            raise MessageSizeTooLargeError("too large")
        self.stored.append((value, headers))


def store_for(kafka: Kafka) -> tuple[DeadLetters, RuntimeMetrics]:
    metrics = RuntimeMetrics(CollectorRegistry())
    return DeadLetters(kafka.publish, group="g", metrics=metrics, timeout=5, max_backoff=0.01), metrics


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instantly(_: float) -> None:
        return None

    monkeypatch.setattr(dead_letters.asyncio, "sleep", instantly)


async def test_what_may_pass_later_is_retried_until_stored() -> None:
    kafka = Kafka(KafkaConnectionError(), KafkaTimeoutError(), TimeoutError())
    store, metrics = store_for(kafka)
    await store.store(b"raw", b"k", {"ce_id": "1"}, topic="t", reason="payload does not match")
    assert [(v, h["dlq_reason"], h["ce_id"]) for v, h in kafka.stored] == [(b"raw", "payload does not match", "1")]
    assert metrics.registry.get_sample_value("hadir_dead_letters_total", {"group": "g", "topic": "t"}) == 1


async def test_a_dead_letter_refused_for_good_is_stored_in_parts_with_its_digest() -> None:
    value = bytes(range(256)) * 5000  # 1.28 MB
    kafka = Kafka(MessageSizeTooLargeError("too large"), limit=dead_letters.PART_BYTES)
    store, _ = store_for(kafka)
    await store.store(value, None, {"ce_id": "2", "bad": "\udc80"}, topic="t", reason="x")
    assert b"".join(v for v, _ in kafka.stored) == value
    assert [h["dlq_part"] for _, h in kafka.stored] == ["1/3", "2/3", "3/3"]
    assert {h["dlq_sha256"] for _, h in kafka.stored} == {hashlib.sha256(value).hexdigest()}
    assert all(h["bad"] == "?" for _, h in kafka.stored), "an unencodable header is replaced, not fatal"


async def test_when_even_the_parts_are_refused_the_record_is_given_up_loudly_not_retried_for_ever() -> None:
    kafka = Kafka(MessageSizeTooLargeError("too large"), limit=0)
    store, metrics = store_for(kafka)
    await store.store(b"raw", None, {"dlq_partition": "0", "dlq_offset": "7"}, topic="t", reason="x")
    assert kafka.stored == []
    assert metrics.registry.get_sample_value("hadir_dead_letter_failures_total", {"group": "g", "topic": "t"}) == 1
    assert metrics.registry.get_sample_value("hadir_dead_letters_total", {"group": "g", "topic": "t"}) is None
