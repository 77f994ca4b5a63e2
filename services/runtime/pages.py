"""Pages of a list: the one paging style of every list endpoint that can grow.

A client asks for ``limit`` rows (default :data:`DEFAULT_LIMIT`, at most :data:`MAX_LIMIT`) and gets
``{"items": [...], "next_after": "<cursor>" | null}``; it asks for the next page by sending that
cursor back as ``after``, until ``next_after`` is null. The cursor is opaque to clients.

Logs (newest first) are ordered by ``(time, id)`` descending (:func:`newest_first`): the cursor is
the time and id of a page's last row, ``<ISO 8601 UTC>~<id>``, and the next page holds the rows
strictly before it, so rows added meanwhile (newer) never shift a page and none is skipped or
repeated. Directories (ordered by a key, :func:`in_key_order`) use the last row's key; a day's
report rows, built whole in memory and sorted by a composite key (:func:`of_sorted`), the last
row's key encoded (base64url JSON). One row more than the page is read to know whether there is a
next page. A cursor that is no cursor is a 422 naming ``after``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Query
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import errors

SEPARATOR = "~"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
BAD_CURSOR = errors.Text("bukan `next_after` dari halaman sebelumnya",
                         "not the `next_after` of a previous page")
NEXT_AFTER = "the cursor of the next page: send it back as `after`; null on the last page"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT}, "
                                                             f"at most {MAX_LIMIT})")]
After = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$",
                                    description="`next_after` of the previous page (omit for the first page)")]


def cursor(at: datetime, key: UUID | str | int) -> str:
    return f"{at.astimezone(UTC).isoformat()}{SEPARATOR}{key}"


def bad_cursor() -> Exception:
    return errors.invalid(("query", "after"), BAD_CURSOR)


def parse(after: str, key_type: type = UUID) -> tuple[datetime, Any]:
    """The time and id in ``after`` (the id as ``key_type``: UUID, str holding a UUID, or int); a
    422 naming ``after`` when it is no cursor."""
    at_text, _, key_text = after.partition(SEPARATOR)
    try:
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError(at_text)
        at = at.astimezone(UTC)  # (a time UTC cannot hold, e.g. 0001-01-01 east of Greenwich: no cursor)
        key: Any = int(key_text) if key_type is int else UUID(key_text)
        if key_type is int and not 0 <= key < 2**63:
            raise ValueError(key_text)
    except (ValueError, OverflowError):
        raise bad_cursor() from None
    return at, (str(key) if key_type is str else key)


async def newest_first(session: AsyncSession, query: Select[Any], at: Any, key: Any, after: str | None,
                       limit: int) -> tuple[Sequence[Any], str | None]:
    """One page of ``query``'s rows (entities with columns ``at`` and ``key``) and the cursor of the
    next page (None on the last)."""
    if after is not None:
        last_at, last_key = parse(after, key.type.python_type)
        query = query.where(or_(at < last_at, and_(at == last_at, key < last_key)))
    rows = (await session.scalars(query.order_by(at.desc(), key.desc()).limit(limit + 1))).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], cursor(getattr(last, at.key), getattr(last, key.key))


async def in_key_order(session: AsyncSession, query: Select[Any], key: Any, after: str | None,
                       limit: int) -> tuple[Sequence[Any], str | None]:
    """One page of ``query``'s rows ordered by the unique column ``key``, those after ``after``, and
    the cursor of the next page (the last row's key; None on the last page)."""
    if after is not None:
        query = query.where(key > after)
    rows = (await session.scalars(query.order_by(key).limit(limit + 1))).all()
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], str(getattr(rows[limit - 1], key.key))


T = TypeVar("T")


def key_cursor(key: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def parse_key(after: str) -> tuple[str, ...]:
    """The composite key in ``after``; a 422 naming ``after`` when it is no cursor."""
    try:
        key = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
    except (binascii.Error, ValueError):
        raise bad_cursor() from None
    if not isinstance(key, list) or not all(isinstance(part, str) for part in key):
        raise bad_cursor()
    return tuple(key)


def of_sorted(rows: Sequence[T], key: Callable[[T], tuple[str, ...]], after: str | None,
              limit: int) -> tuple[list[T], str | None]:
    """One page of ``rows`` (sorted by ``key``, unique), those after ``after``, and the next page's
    cursor (None on the last page)."""
    start = parse_key(after) if after is not None else None
    chosen = [r for r in rows if start is None or key(r) > start][:limit + 1]
    if len(chosen) <= limit:
        return chosen, None
    return chosen[:limit], key_cursor(key(chosen[limit - 1]))
