"""Dialect-aware, set-based SQL writes: the one place that chooses between PostgreSQL's and
SQLite's ``INSERT … ON CONFLICT`` and splits large batches into chunks.

Every function runs inside the caller's transaction and costs a fixed number of
statements per chunk, never one per row:

- :func:`among` is ``IN`` for many values (PostgreSQL: one array parameter);
- :func:`insert` is the dialect's ``INSERT`` construct (with ``on_conflict_*``);
- :func:`insert_ignore` inserts rows whose key is free and returns what went in;
- :func:`upsert` / :func:`upsert_statement` insert or overwrite by key;
- :func:`insert_rows` appends many rows (PostgreSQL: one ``unnest`` statement per chunk);
- :func:`update_rows` updates many rows by key, each with its own values (PostgreSQL: one
  ``UPDATE … FROM unnest`` per chunk);
- :func:`copy_rows` appends rows that cannot conflict, with ``COPY`` on PostgreSQL for
  large batches where row-level security does not apply to the session;
- :func:`delete_claimed` deletes a bounded set of rows, skipping those another transaction holds
  (retention jobs side by side in several replicas).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    any_,
    bindparam,
    delete,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.types import TypeDecorator

from services.runtime.db import dialect_name

CHUNK = 20_000  # rows per PostgreSQL unnest statement or COPY chunk
SQLITE_CHUNK = 500  # rows per SQLite multi-row statement
EXECUTEMANY_CHUNK = 2_000  # rows per executemany call (the driver batches them further)
COPY_MIN_ROWS = 1_000  # below this a single INSERT beats COPY's set-up round trips


def chunks(rows: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``rows`` in consecutive slices of at most ``size``."""
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:values)``, one array parameter instead
    of one parameter per value (thousands of ids cost no statement expansion)."""
    if dialect_name(session) == "postgresql":
        return cast(ColumnElement[bool],
                    column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(values))


def insert(session: AsyncSession, table: FromClause | Any) -> Any:
    """The ``INSERT`` of the session's dialect, which supports ``on_conflict_do_*``."""
    dialect_insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    return dialect_insert(cast(Table, getattr(table, "__table__", table)))


async def insert_ignore(session: AsyncSession, table: FromClause | Any, rows: Sequence[dict[str, Any]],
                        returning: ColumnElement[Any] | Any, *, keys: Sequence[str] | None = None) -> list[Any]:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` (any unique key when ``keys`` is None);
    returns ``returning`` of the rows actually inserted."""
    if not rows:
        return []
    stmt = insert(session, table).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
    stmt = stmt.returning(returning)
    inserted: list[Any] = []
    for chunk in chunks(rows, EXECUTEMANY_CHUNK):
        inserted += (await session.execute(stmt, list(chunk))).scalars().all()
    return inserted


def upsert_statement(session: AsyncSession, table: FromClause | Any, keys: Sequence[str],
                     update: Sequence[str] | None = None, keep_newer: str | None = None) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of ``update`` (default: every other column);
    with ``keep_newer`` a stored row whose value in that column is later is left as it is."""
    stmt = insert(session, table)
    columns = update if update is not None else [c.name for c in stmt.table.columns if c.name not in keys]
    where = stmt.excluded[keep_newer] >= stmt.table.c[keep_newer] if keep_newer else None
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns},
                                      where=where)


async def upsert(session: AsyncSession, table: FromClause | Any, rows: Sequence[dict[str, Any]],
                 keys: Sequence[str], update: Sequence[str] | None = None, keep_newer: str | None = None) -> None:
    """Insert or overwrite ``rows`` by ``keys``, in chunks (see :func:`upsert_statement`)."""
    if not rows:
        return
    stmt = upsert_statement(session, table, keys, update, keep_newer)
    for chunk in chunks(rows, EXECUTEMANY_CHUNK):
        await session.execute(stmt, list(chunk))


def _pg_type(column: Any) -> str | None:
    """The PostgreSQL array element type of a column, None when unnest cannot carry it."""
    kind = column.type
    if isinstance(kind, TypeDecorator):  # e.g. UTCDateTime: the type it stores as
        kind = kind.impl_instance
    if isinstance(kind, Enum):
        return None
    for sa_type, name in ((BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Date, "date"),
                          (Float, "float8"), (LargeBinary, "bytea"), (String, "text")):
        if isinstance(kind, sa_type):
            return name
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    return None


async def insert_rows(session: AsyncSession, table: FromClause | Any, rows: Sequence[dict[str, Any]],
                      *, ignore_conflicts: bool = False) -> None:
    """Append ``rows`` (dicts with the same keys); with ``ignore_conflicts`` a row whose
    key is taken is skipped. PostgreSQL: one ``unnest`` statement per chunk."""
    if not rows:
        return
    target = cast(Table, getattr(table, "__table__", table))
    names = list(rows[0])
    types = [_pg_type(target.c[n]) for n in names]
    if dialect_name(session) == "postgresql" and None not in types:
        arrays = ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types))
        quoted = ", ".join(f'"{n}"' for n in names)
        sql = f'INSERT INTO "{target.name}" ({quoted}) SELECT * FROM unnest({arrays})'
        stmt = text(sql + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""))
        for chunk in chunks(rows, CHUNK):
            await session.execute(stmt, {f"c{i}": [r[n] for r in chunk] for i, n in enumerate(names)})
        return
    statement = insert(session, target)
    if ignore_conflicts:
        statement = statement.on_conflict_do_nothing()
    for chunk in chunks(rows, SQLITE_CHUNK):
        await session.execute(statement, list(chunk))


async def update_rows(session: AsyncSession, table: FromClause | Any, keys: Sequence[str],
                      rows: Sequence[dict[str, Any]]) -> None:
    """``UPDATE`` each row found by its ``keys`` with its other values (dicts with the same keys);
    a row whose key is absent changes nothing. PostgreSQL: one ``UPDATE … FROM unnest`` per chunk."""
    if not rows:
        return
    target = cast(Table, getattr(table, "__table__", table))
    names = list(rows[0])
    values = [n for n in names if n not in keys]
    kinds = [_pg_type(target.c[n]) or ("json" if isinstance(target.c[n].type, JSON) else None) for n in names]
    if dialect_name(session) == "postgresql" and None not in kinds:
        arrays = ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(kinds))
        columns = ", ".join(f'"{n}"' for n in names)
        assignments = ", ".join(f'"{n}" = v."{n}"' for n in values)
        matches = " AND ".join(f'"{target.name}"."{k}" = v."{k}"' for k in keys)
        stmt = text(f'UPDATE "{target.name}" SET {assignments} FROM unnest({arrays}) AS v({columns}) '
                    f"WHERE {matches}")
        for chunk in chunks(rows, CHUNK):
            await session.execute(stmt, {f"c{i}": [_array_item(r[n], t) for r in chunk]
                                         for i, (n, t) in enumerate(zip(names, kinds, strict=True))})
        return
    statement = (target.update().where(*(target.c[k] == bindparam(f"k_{k}") for k in keys))
                 .values({n: bindparam(f"v_{n}") for n in values}))
    for chunk in chunks(rows, EXECUTEMANY_CHUNK):
        await session.execute(statement, [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{n}": r[n] for n in values}}
                                          for r in chunk])


def _array_item(value: Any, kind: str | None) -> Any:
    return json.dumps(value) if kind == "json" and value is not None else value


async def copy_rows(session: AsyncSession, table: FromClause | Any, columns: Sequence[str],
                    records: Sequence[tuple[Any, ...]]) -> None:
    """Append rows that cannot conflict: PostgreSQL ``COPY`` (the fastest path) for a batch of
    at least ``COPY_MIN_ROWS``, unless row-level security applies to this session (PostgreSQL
    refuses ``COPY FROM`` then); otherwise :func:`insert_rows`."""
    if not records:
        return
    target = cast(Table, getattr(table, "__table__", table))
    if (dialect_name(session) != "postgresql" or len(records) < COPY_MIN_ROWS
            or await session.scalar(text("SELECT row_security_active(CAST(:t AS regclass))"), {"t": target.name})):
        await insert_rows(session, target, [dict(zip(columns, r, strict=True)) for r in records])
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    for chunk in chunks(records, CHUNK * 5):
        await driver.copy_records_to_table(target.name, records=list(chunk), columns=list(columns))


async def delete_claimed(session: AsyncSession, key: Any, query: Any, *scope: Any) -> int:
    """Delete the rows whose ``key`` ``query`` selects (its ``WHERE``, order and ``LIMIT`` bound them),
    claimed ``FOR UPDATE SKIP LOCKED`` so that a row another transaction holds is left to it, not
    waited for; ``scope`` narrows the delete as the query was narrowed (e.g. to its tenant) when
    ``key`` alone is not unique. Two statements; returns how many rows went."""
    ids = list((await session.scalars(query.with_for_update(skip_locked=True))).all())
    if ids:
        await session.execute(delete(key.table).where(*scope, key.in_(ids)))
    return len(ids)
