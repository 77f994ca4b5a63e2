"""Writing the delivery log inside the consumer's transaction.

A planned notification becomes a ``pending`` row (``skipped``, with its reason in
``last_error``, when no channel can carry it: the delivery loop never picks it up); the unique key (source event,
kind, occurrence, recipient, channel) turns a second write of the same one into a
no-op, so redelivered events and replays never add a row. Nothing is sent here:
the delivery loop picks rows up after the transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.notify.domain.people import TenantView
from services.notify.domain.planned import Planned, first_attempt_time
from services.notify.store import Notification
from services.runtime import sql


async def record(session: AsyncSession, envelope: Envelope, planned: Sequence[Planned], view: TenantView,
                 now: datetime) -> list[Planned]:
    """Insert what is new; return what was added."""
    if not planned:
        return []
    ids = [str(uuid.uuid4()) for _ in planned]
    rows: list[dict[str, Any]] = [
        {
            "id": row_id, "tenant": envelope.tenant, "source_event_id": envelope.id,
            "source_event_type": envelope.type, "kind": p.kind, "occurrence": p.occurrence,
            "recipient": p.recipient, "unit_id": p.unit_id, "channel": p.channel, "address": p.address,
            "language": p.language, "subject": p.subject, "body": p.body,
            "status": "skipped" if p.skipped else "pending", "attempts": 0,
            "next_attempt_at": first_attempt_time(p, view, now).astimezone(UTC),
            "expires_at": p.expires_at.astimezone(UTC) if p.expires_at else None,
            "first_attempt_at": None, "sent_at": None, "last_error": p.skipped, "provider_ref": None,
            "traceparent": envelope.traceparent,
            "created_at": now, "updated_at": now,
        }
        for row_id, p in zip(ids, planned, strict=True)
    ]
    added = set(await sql.insert_ignore(session, Notification, rows, Notification.id))
    return [p for row_id, p in zip(ids, planned, strict=True) if row_id in added]


def on_commit(session: AsyncSession, callback: Callable[..., None], *, once: bool = False) -> None:
    """Call ``callback`` once the session's transaction has committed (wakes the delivery loop);
    ``once``: at the next commit only (a count of what this transaction added)."""
    target = session.sync_session
    if not event.contains(target, "after_commit", callback):
        event.listen(target, "after_commit", callback, once=once)
