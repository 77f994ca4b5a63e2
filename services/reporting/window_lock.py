"""A window's lock: the closing of a window and the verdicts applied to it never cross.

:func:`lock_window` takes a PostgreSQL advisory transaction lock per (tenant, day,
window): the closure holds it exclusively, a consumer applying a verdict for that
window holds it shared, so a verdict is either seen by the closure or applied to the
ledger row the closure wrote — never lost in between. SQLite serialises writers
anyway and needs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime.db import advisory_key, dialect_name


def window_key(tenant: str, day: date, window_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for one (tenant, day, window)."""
    return advisory_key("hadir-reporting", tenant, day.isoformat(), window_id)


async def lock_window(session: AsyncSession, tenant: str, day: date, window_id: str, *, shared: bool) -> None:
    """Take the window's advisory transaction lock (once per transaction); no-op on SQLite."""
    await lock_windows(session, [(tenant, day, window_id)], shared=shared)


async def lock_windows(session: AsyncSession, windows: Iterable[tuple[str, date, str]], *, shared: bool) -> None:
    """Take the locks of ``windows`` (tenant, day, window id) not yet held by this transaction,
    in one statement and in key order (two transactions never wait on each other in a cycle)."""
    if dialect_name(session) != "postgresql":
        return
    transaction = session.get_transaction()
    cached = session.info.get("hadir_window_locks")
    if cached is None or cached[0] is not transaction:
        cached = session.info["hadir_window_locks"] = (transaction, set())
    held: set[int] = cached[1]
    keys = sorted({window_key(*w) for w in windows} - held)
    if not keys:
        return
    fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await session.execute(text(f"SELECT {fn}(k) FROM unnest(CAST(:keys AS int8[])) WITH ORDINALITY AS t(k, n) "
                               "ORDER BY n"), {"keys": keys})
    held.update(keys)


__all__ = ["lock_window", "lock_windows", "window_key"]
