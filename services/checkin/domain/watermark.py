"""How far back every accepted check-in is surely in the outbox (pure).

A check-in's ``received_at`` is read from the database's clock inside its transaction (a group
commit's, after it began), and its row and event commit together. So once the relay has
published everything committed before a moment ``now``, every check-in received before the
oldest transaction still open at ``now`` (or before ``now`` if none is open) is published: one
received earlier cannot be in a transaction that is still open. One clock (the database's)
stamps the check-ins, the transactions and ``now``, so the mark needs no margin.
"""

from __future__ import annotations

from datetime import datetime


def accepted_until(now: datetime, oldest_open: datetime | None) -> datetime:
    """The ``accepted_until`` of a mark read at ``now`` with the oldest open transaction's start."""
    return min(now, oldest_open or now)
