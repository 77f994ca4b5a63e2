"""Verified bearer tokens, remembered until they expire, so that a client sending the same
token with every request pays for its signature check once.

Guarantee: a token is answered from here only while it is unexpired (the same leeway as the
verification) and only while the key set it was verified against is unchanged — a rotated or
revoked key clears everything. Bounded: at most ``size`` tokens, the least recently used go
first. A token that fails verification is never remembered.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

from services.runtime.lru import LRU

P = TypeVar("P")


class TokenCache(Generic[P]):
    def __init__(self, size: int, leeway_seconds: float) -> None:
        self._leeway = leeway_seconds
        self._entries: LRU[str, tuple[float, P]] = LRU(size)
        self._keys_stamp: object = None

    def get(self, token: str, keys_stamp: object, now: float | None = None) -> P | None:
        """The principal of a token verified against the key set ``keys_stamp``, if still valid."""
        if keys_stamp != self._keys_stamp:
            self._entries.clear()
            self._keys_stamp = keys_stamp
            return None
        entry = self._entries.get(token)
        if entry is None:
            return None
        expires, principal = entry
        if (time.time() if now is None else now) >= expires + self._leeway:
            self._entries.pop(token)
            return None
        return principal

    def put(self, token: str, keys_stamp: object, expires: float, principal: P) -> None:
        if keys_stamp != self._keys_stamp:
            self._entries.clear()
            self._keys_stamp = keys_stamp
        self._entries.put(token, (expires, principal))

    def __len__(self) -> int:
        return len(self._entries)
