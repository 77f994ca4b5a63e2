"""Many notices at once, and window locks, for the reporting service.

- :func:`payload_factory` encodes many events of one type that differ in a few fields
  (staged with :func:`services.runtime.outbox.stage_many` as ``Encoded`` items);
- :func:`lock_window` serialises the closing of a window with the projection of
  check-ins into it (PostgreSQL advisory transaction locks): the closure holds the
  window's lock exclusively, a consumer applying an evaluation for that window holds
  it shared, so an evaluation is either seen by the closure or applied to the
  ledger row the closure wrote — never lost in between. SQLite serialises writers
  anyway and needs nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.runtime.db import dialect_name


def payload_factory(cls: type[Event], **common: Any):  # type: ignore[no-untyped-def]
    """A fast JSON encoder for many events of ``cls`` that differ only in a few fields.

    The common fields are validated once through the model; each payload is the
    model's own JSON (same keys, same order) with the varying fields substituted.
    """
    def build(**varying: Any) -> bytes:
        return json.dumps({**template, **varying}, separators=(",", ":"), ensure_ascii=False).encode()

    sample: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name not in common and field.is_required():
            sample[name] = "0"
    template = json.loads(cls(**{**sample, **common}).model_dump_json())
    return build


def window_key(tenant: str, day: date, window_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for one (tenant, day, window)."""
    digest = hashlib.blake2b(f"hadir-reporting|{tenant}|{day.isoformat()}|{window_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_window(session: AsyncSession, tenant: str, day: date, window_id: str, *, shared: bool) -> None:
    """Take the window's advisory transaction lock (once per transaction); no-op on SQLite."""
    if dialect_name(session) != "postgresql":
        return
    key = window_key(tenant, day, window_id)
    transaction = session.get_transaction()
    cached = session.info.get("hadir_window_locks")
    if cached is None or cached[0] is not transaction:
        cached = session.info["hadir_window_locks"] = (transaction, set())
    held: set[int] = cached[1]
    if key in held:
        return
    fn = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
    await session.execute(select(fn(key)))
    held.add(key)


__all__ = ["lock_window", "payload_factory", "window_key"]
