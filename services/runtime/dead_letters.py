"""Dead letters that never raise and never wedge a partition.

A record a consumer cannot apply leaves its partition as a dead letter on the group's
dead-letter topic: its raw value and key, its original headers and the reason. Storing it is
retried while Kafka may take it later (unreachable, timing out): the partition waits, nothing
is skipped before it is stored. A dead letter Kafka refuses for good (the original headers plus
the reason push it over the request limit, or a header cannot be encoded) is stored in parts of
at most :data:`PART_BYTES` of the value, each with the reason, ``dlq_part`` (``i/n``) and the
whole value's ``dlq_sha256``, and the original headers if they are small (else
``dlq_headers_omitted``). Only if Kafka refuses even those is the record given up: its topic,
partition, offset, digest and reason are logged at error level and counted
(``hadir_dead_letter_failures_total``), and the partition moves on — the record itself stays
on its topic until retention.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping

import structlog
from aiokafka.errors import KafkaError, KafkaTimeoutError, ProducerClosed

from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

PART_BYTES = 512 * 1024
HEADERS_KEPT_BYTES = 64 * 1024
REASON_CHARS = 2000

Publish = Callable[[bytes, bytes | None, dict[str, str]], Awaitable[None]]


class _Refused(Exception):
    """Kafka will not take this dead letter as it is, however often it is sent."""


def refused_for_good(exc: BaseException) -> bool:
    """Whether sending again cannot help: a Kafka error that is not retriable, or an error
    encoding the record. Connection errors and timeouts may pass later (aiokafka marks its own
    timeout not retriable, meaning it did not retry; and a closing producer belongs to a stopping
    service, which must not commit past the record)."""
    if isinstance(exc, KafkaTimeoutError | ProducerClosed):
        return False
    if isinstance(exc, KafkaError):
        return not exc.retriable
    return not isinstance(exc, OSError | TimeoutError | ConnectionError)


def text_headers(headers: Mapping[str, object]) -> dict[str, str]:
    """Header values as text that always encodes (invalid characters replaced)."""
    return {str(k): str(v).encode("utf-8", errors="replace").decode() for k, v in headers.items()}


class DeadLetters:
    """Stores dead letters of one consumer group through ``publish`` (value, key, headers)."""

    def __init__(self, publish: Publish, *, group: str, metrics: RuntimeMetrics, timeout: float,
                 max_backoff: float) -> None:
        self._publish = publish
        self._group = group
        self._metrics = metrics
        self._timeout = timeout
        self._max_backoff = max_backoff

    async def store(self, value: bytes, key: bytes | None, headers: Mapping[str, object], *, topic: str,
                    reason: str) -> None:
        """Store one dead letter (``topic``: where the record came from); returns once it is
        stored, or given up on as described above. Never raises but on cancellation."""
        safe = text_headers({**headers, "dlq_reason": reason[:REASON_CHARS], "dlq_group": self._group,
                             "dlq_topic": topic})
        try:
            await self._until_taken(value, key, safe)
        except _Refused as refusal:
            if not await self._in_parts(value, key, safe, refusal):
                return
        self._metrics.dead_letters.labels(self._group, topic).inc()

    async def _in_parts(self, value: bytes, key: bytes | None, headers: dict[str, str], refusal: _Refused) -> bool:
        digest = hashlib.sha256(value).hexdigest()
        kept = headers
        if sum(len(k) + len(v) for k, v in headers.items()) > HEADERS_KEPT_BYTES:
            kept = {k: v[:REASON_CHARS] for k, v in headers.items() if k.startswith("dlq_")}
            kept["dlq_headers_omitted"] = "the original headers were too large to keep"
        parts = [value[at:at + PART_BYTES] for at in range(0, len(value), PART_BYTES)] or [b""]
        try:
            for number, part in enumerate(parts, 1):
                await self._until_taken(part, key, {**kept, "dlq_part": f"{number}/{len(parts)}",
                                                    "dlq_sha256": digest, "dlq_refused": str(refusal)[:500]})
        except _Refused as again:
            self._metrics.dead_letter_failures.labels(self._group, headers.get("dlq_topic", "")).inc()
            log.error("dead letter refused by Kafka, the record is left on its topic", group=self._group,
                      topic=headers.get("dlq_topic"), partition=headers.get("dlq_partition"),
                      offset=headers.get("dlq_offset"), sha256=digest, bytes=len(value),
                      reason=headers.get("dlq_reason"), refused=str(again))
            return False
        return True

    async def _until_taken(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(self._timeout):
                    await self._publish(value, key, headers)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — sorted into "later" and "never" below
                if refused_for_good(exc):
                    raise _Refused(repr(exc)) from exc
                attempt += 1
                delay = min(self._max_backoff, 0.2 * 2**attempt)
                log.warning("dead-letter publish failed", group=self._group, error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)
