"""Telling a retry from a different request (pure).

An idempotency key names one check-in of one employee. The fingerprint of the payload
(SHA-256 of its canonical JSON, the key itself excluded) decides whether a second
request under a key is a retry of the first (same fingerprint) or a conflict. Within a
batch the first item with a key speaks for it; later items with that key are answered
as retries of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from services.checkin.schemas import CheckinIn

CHECKIN_FIELDS = frozenset(CheckinIn.model_fields)


def fingerprint(body: CheckinIn) -> str:
    """SHA-256 of the check-in's canonical JSON (the idempotency key itself excluded)."""
    canonical = json.dumps(body.model_dump(mode="json", include=set(CHECKIN_FIELDS)),
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Candidate:
    """A schema-valid item: its position, key, body and payload fingerprint."""

    index: int
    key: str
    body: CheckinIn
    digest: str


def first_per_key(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """The first candidate of each key, in item order."""
    firsts: dict[str, Candidate] = {}
    for c in candidates:
        firsts.setdefault(c.key, c)
    return firsts
