"""Pages of a log, newest first (the newest-first lists of every service): rows ordered by
``(time, id)`` descending, a page at a time.

The cursor (``next_after``, sent back as ``after``) is the time and id of the last row of a page,
``<ISO 8601 UTC>~<uuid>``; the next page holds the rows strictly before it, so rows added meanwhile
(newer) never shift a page and none is skipped or repeated. One row more than the page is read to
know whether there is a next page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import errors

SEPARATOR = "~"
BAD_CURSOR = errors.Text("bukan `next_after` dari halaman sebelumnya",
                         "not the `next_after` of a previous page")


def cursor(at: datetime, key: UUID | str) -> str:
    return f"{at.astimezone(UTC).isoformat()}{SEPARATOR}{key}"


def parse(after: str) -> tuple[datetime, UUID]:
    """The time and id in ``after``; a 422 naming ``after`` when it is no cursor."""
    at_text, _, key_text = after.partition(SEPARATOR)
    try:
        at, key = datetime.fromisoformat(at_text), UUID(key_text)
    except ValueError:
        raise errors.invalid(("query", "after"), BAD_CURSOR) from None
    if at.tzinfo is None:
        raise errors.invalid(("query", "after"), BAD_CURSOR)
    return at, key


async def newest_first(session: AsyncSession, query: Select[Any], at: Any, key: Any, after: str | None,
                       limit: int) -> tuple[Sequence[Any], str | None]:
    """One page of ``query``'s rows (entities with columns ``at`` and ``key``) and the cursor of the
    next page (None on the last)."""
    if after is not None:
        last_at, last_uuid = parse(after)
        last_key = str(last_uuid) if key.type.python_type is str else last_uuid  # ids kept as text or as UUID
        query = query.where(or_(at < last_at, and_(at == last_at, key < last_key)))
    rows = (await session.scalars(query.order_by(at.desc(), key.desc()).limit(limit + 1))).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], cursor(getattr(last, at.key), getattr(last, key.key))
