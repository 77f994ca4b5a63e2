"""What a channel is given and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Result = Literal["ok", "retry", "failed", "cancelled"]


@dataclass(frozen=True)
class Message:
    """One claimed row of the delivery log."""

    id: str
    tenant: str
    kind: str
    channel: str
    recipient: str
    address: str | None
    language: str
    subject: str
    body: str
    attempt: int


@dataclass(frozen=True)
class Outcome:
    result: Result
    status_code: int | None = None
    error: str | None = None
    provider_ref: str | None = None
    retry_after: float | None = None

    @classmethod
    def ok(cls, provider_ref: str | None = None, status_code: int | None = None) -> Outcome:
        return cls("ok", status_code=status_code, provider_ref=provider_ref)

    @classmethod
    def retry(cls, error: str, status_code: int | None = None, retry_after: float | None = None) -> Outcome:
        return cls("retry", status_code=status_code, error=error[:2000], retry_after=retry_after)

    @classmethod
    def failed(cls, error: str, status_code: int | None = None) -> Outcome:
        return cls("failed", status_code=status_code, error=error[:2000])

    @classmethod
    def cancelled(cls, error: str) -> Outcome:
        return cls("cancelled", error=error[:2000])


class Sender(Protocol):
    async def send(self, message: Message) -> Outcome: ...


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is rare from APIs; ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def http_outcome(status: int, text: str, retry_after: str | None = None) -> Outcome:
    """Shared reading of an HTTP answer: 2xx ok; 408, 425, 429 and 5xx worth retrying; other 4xx final."""
    if 200 <= status < 300:
        return Outcome.ok(status_code=status)
    error = f"HTTP {status}: {text[:500]}"
    if status in (408, 425, 429) or status >= 500:
        return Outcome.retry(error, status, retry_after_seconds(retry_after))
    return Outcome.failed(error, status)
