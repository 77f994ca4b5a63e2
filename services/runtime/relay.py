"""The outbox relay: publishes pending outbox rows (:mod:`.outbox`) in id order with the
idempotent producer. A row with an empty payload (:data:`.outbox.TOMBSTONE`, staged by
:func:`.outbox.stage_tombstones`) is published as a tombstone: its key and CloudEvents headers,
and a null value.

A relay given a :class:`~services.runtime.marks.Stamping` also stamps every partition of a
topic with watermark marks once a round finds the outbox caught up (:mod:`.marks`).

Several relay instances may run (one per replica). In PostgreSQL each relay round
takes a transaction-scoped advisory lock, so only one instance publishes at a time
(per-key order holds across instances) and rows are claimed with
``FOR UPDATE SKIP LOCKED``. A round that waits for Kafka longer than the publish timeout
(an outage) holds the lock at session level instead and ends its transaction, so no
transaction or row lock stays open for the outage. A round hands its rows to the producer as whole record batches
(one per partition, :meth:`~services.runtime.kafka.Producer.send_many`) and marks what Kafka
acknowledged in one statement. Under a backlog a round goes on with further chunks, pipelined
(the next chunk is read, and the previous one marked, while Kafka acknowledges the current
one), but a chunk is handed over only once Kafka took every record of the one before.
A round ends only when Kafka has settled every record it
enqueued, so a row is never handed to the producer twice while an earlier send of it
may still be delivered (an outage delays the round instead of duplicating its rows).
A crash between publishing and marking a row sent republishes it: consumers
deduplicate by event id.

A row Kafka will never take (:class:`~services.runtime.kafka.UnsendableRecord`: above the
request limit, unencodable) is parked in the same statement-per-chunk way, with its reason:
logged at error level, counted (``hadir_outbox_parked_total``, alert ``HadirOutboxRowParked``)
and never claimed again, so the rows behind it go on in order. Any other refusal keeps the row
pending and ends the round at its chunk (retried with backoff).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from services.contracts.envelope import Envelope
from services.runtime import sql, telemetry
from services.runtime.kafka import UnsendableRecord
from services.runtime.marks import MarkFor, Stamping
from services.runtime.metrics import RuntimeMetrics
from services.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

RELAY_LOCK_ID = 0x4861646972  # "Hadir"
ROUND_SECONDS = 1.0  # a round starts no further chunk after this long (its rows stay locked meanwhile)

# Enqueue (topic, envelope) records in order, setting futures[i] once record i is handed over
# (it resolves on Kafka's acknowledgement); raise at the first that cannot be enqueued.
SendMany = Callable[[Sequence[tuple[str, Envelope]], "list[asyncio.Future[Any] | None]"], Awaitable[None]]


def _row_envelope(row: object) -> Envelope:
    return Envelope(
        id=row.event_id,  # type: ignore[attr-defined]
        type=row.ce_type,  # type: ignore[attr-defined]
        source=row.ce_source,  # type: ignore[attr-defined]
        tenant=row.tenant,  # type: ignore[attr-defined]
        subject=row.subject,  # type: ignore[attr-defined]
        time=row.ce_time,  # type: ignore[attr-defined]
        traceparent=row.traceparent,  # type: ignore[attr-defined]
        data=row.payload,  # type: ignore[attr-defined]
    )


class OutboxRelay:
    """Publishes pending outbox rows; wakes on ``wake()`` or every ``poll_seconds``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        send: SendMany,
        metrics: RuntimeMetrics,
        *,
        batch_size: int = 500,
        round_chunks: int = 1,
        poll_seconds: float = 0.5,
        publish_timeout: float = 10.0,
        shutdown_grace: float = 5.0,
        stamping: Stamping | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._send = send
        self._metrics = metrics
        self._batch_size = batch_size
        self._round_chunks = round_chunks
        self.caught_up = True  # whether the last round saw every pending row
        self._poll_seconds = poll_seconds
        self._publish_timeout = publish_timeout
        self._shutdown_grace = shutdown_grace
        self._wakeup = Wakeup()
        self._stamping = stamping
        self._backlog_refreshed = 0.0

    def wake(self) -> None:
        self._wakeup.ring()

    def stamp_with(self, stamping: Stamping) -> None:
        self._stamping = stamping

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self.publish_batch()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka or database unreachable: keep the rows, back off
                failures += 1
                self._metrics.outbox_publish_failures.inc()
                delay = min(10.0, 0.2 * 2**failures) * (0.5 + random.random() / 2)
                log.warning("outbox relay round failed", error=repr(exc), retry_in=round(delay, 2))
                await asyncio.sleep(delay)
                continue
            if not self.caught_up:
                continue
            await self._wakeup.sleep(self._poll_seconds)

    async def publish_batch(self) -> int:
        """One relay round, in one transaction while Kafka answers (:class:`RoundConnection`):
        claim up to ``batch_size`` rows, publish them in id order, wait until Kafka has settled
        every one, mark the acknowledged rows sent.
        A full chunk is followed by the next one (up to ``round_chunks`` chunks, about a
        second), pipelined: while Kafka acknowledges a chunk, the round's connection marks the
        previous chunk sent and claims the next. A chunk is handed to the producer only once
        the one before it is settled and wholly taken, so order and the no-resend guarantee are
        those of a single chunk. With watermark marks (:mod:`.marks`): read them before the
        rows, send them once the round is caught up. Returns how many rows were published."""
        marks: Sequence[MarkFor] = ()
        outcome = _Round([], {}, None, False)
        rows: Sequence[Any] = ()
        published = 0
        async with self._round() as round_:
            session = round_.session
            if round_.postgres:
                locked = await session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_ID)))
                if not locked:  # another instance is publishing; keep this replica's gauge fresh
                    await self._refresh_backlog(at_most_every=5.0)
                    self.caught_up = True
                    return 0
            if self._stamping is not None:
                marks = await self._stamping.read(session)
            rows = following = await self._claim(session, after=None)
            started, chunks = time.monotonic(), 1
            while following:
                rows = following
                more = (len(rows) == self._batch_size and chunks < self._round_chunks
                        and time.monotonic() - started < ROUND_SECONDS)
                outcome, following = await self._chunk(round_, rows, outcome,
                                                       read_after=rows[-1].id if more else None)
                published += len(outcome.sent)
                chunks += 1
                if outcome.cancelled or outcome.settled < len(rows):
                    break
            await self._settled(session, outcome)
        self.caught_up = len(rows) < self._batch_size
        if self.caught_up:  # the last claim saw every pending row: what it left is the backlog (no count query)
            self._metrics.outbox_backlog.set(len(rows) - outcome.settled)
        else:  # more may wait: count them (at most once a second)
            await self._refresh_backlog(at_most_every=1.0)
        if outcome.cancelled:
            raise asyncio.CancelledError
        if outcome.settled < len(rows):
            raise RuntimeError(f"published {len(outcome.sent)} of {len(rows)} outbox rows: {outcome.error!r}")
        if marks and self.caught_up and self._stamping is not None:
            await self._stamping.send(marks)
        return published

    def _round(self) -> RoundConnection:
        return RoundConnection(self._sessions)

    async def _claim(self, session: AsyncSession, *, after: int | None) -> Sequence[Any]:
        """The next pending rows in id order (after ``after``), locked for this round."""
        pending: list[ColumnElement[bool]] = [*_pending(self._outbox)]
        if after is not None:
            pending.append(self._outbox.c.id > after)
        return (await session.execute(
            select(self._outbox).where(*pending).order_by(self._outbox.c.id).limit(self._batch_size)
            .with_for_update(skip_locked=True))).all()

    async def _settled(self, session: AsyncSession, outcome: _Round) -> None:
        """Mark what Kafka acknowledged sent (one statement) and park what it will never take."""
        now = datetime.now(UTC)
        if outcome.sent:
            await session.execute(update(self._outbox).where(sql.among(session, self._outbox.c.id, outcome.sent))
                                  .values(published_at=now))
        if outcome.parked:
            await session.execute(
                update(self._outbox).where(self._outbox.c.id == bindparam("row_id"))
                .values(parked_at=now, park_reason=bindparam("reason")),
                [{"row_id": row_id, "reason": reason[:500]} for row_id, reason in outcome.parked.items()])

    async def _chunk(self, round_: RoundConnection, rows: Sequence[Any], previous: _Round, *,
                     read_after: int | None) -> tuple[_Round, Sequence[Any]]:
        """Publish ``rows``; meanwhile, on the round's connection, mark ``previous`` (the chunk
        before, settled) and claim the rows after ``read_after``. The database work is
        never cut short by a shutdown: what Kafka acknowledged is still marked. Should Kafka
        not answer within the publish timeout, the round's transaction is ended once that work
        is done (:meth:`RoundConnection.detach`) while the wait goes on."""

        async def meanwhile() -> Sequence[Any]:
            await self._settled(round_.session, previous)
            return await self._claim(round_.session, after=read_after) if read_after is not None else ()

        side = asyncio.ensure_future(meanwhile())

        async def detach() -> None:
            await asyncio.wait({side})
            if not side.exception():
                await round_.detach()

        outcome = await self._publish_rows(rows, on_silence=detach)
        try:
            following = await asyncio.shield(side)
        except asyncio.CancelledError:
            await asyncio.wait({side})
            following, outcome = side.result(), replace(outcome, cancelled=True)
        return outcome, following

    async def _publish_rows(self, rows: Sequence[Any],
                            on_silence: Callable[[], Awaitable[None]] | None = None) -> _Round:
        """Enqueue rows in id order, stopping at the first that cannot be enqueued; then wait
        for every enqueued one to be acknowledged or refused.

        No timeout ends that wait: the idempotent producer retries a record until the broker
        takes it, so a record given up on here could still be written later, and sending its
        row again would write it twice. While Kafka is down the round therefore waits (the
        backlog gauge refreshed; after the publish timeout ``on_silence`` ends its transaction,
        the session lock keeping other relays out) and completes when Kafka returns.
        On cancellation (shutdown) the acknowledgements get a short grace period so that what
        was written is marked, not sent again by the next process."""
        futures: list[asyncio.Future[Any] | None] = [None] * len(rows)
        error: BaseException | None = None
        cancelled = False
        try:
            with telemetry.publishing(rows):
                try:
                    async with asyncio.timeout(self._publish_timeout):
                        await self._send([(row.topic, _row_envelope(row)) for row in rows], futures)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # what was not enqueued stays pending (its futures are None)
                    log.warning("outbox enqueue stopped", error=repr(exc),
                                enqueued=sum(f is not None for f in futures), rows=len(rows))
                    error = exc
                await self._settle({f for f in futures if f is not None}, on_silence)
        except asyncio.CancelledError:
            cancelled = True
            if handed := {f for f in futures if f is not None}:
                await asyncio.wait(handed, timeout=self._shutdown_grace)
        sent: list[int] = []
        parked: dict[int, str] = {}
        published: Counter[str] = Counter()
        for row, future in zip(rows, futures, strict=True):
            if future is None:
                continue
            settled = future.done() and not future.cancelled()
            refusal = future.exception() if settled else None
            if settled and refusal is None:
                sent.append(row.id)
                published[row.topic] += 1
            elif isinstance(refusal, UnsendableRecord):
                parked[row.id] = str(refusal.args[0] if refusal.args else refusal)
                self._metrics.outbox_parked.labels(row.topic).inc()
                log.error("outbox row parked: Kafka will never take it", event_id=row.event_id, topic=row.topic,
                          ce_type=row.ce_type, tenant=row.tenant, reason=parked[row.id])
            elif error is None:
                error = refusal or RuntimeError("not acknowledged")
        for topic, count in published.items():
            self._metrics.outbox_published.labels(topic).inc(count)
        # A refused row stays pending and is retried; rows after it that Kafka did take are
        # marked: sending them again would duplicate them, not restore their order.
        return _Round(sent, parked, error, cancelled)

    async def _settle(self, futures: set[asyncio.Future[Any]],
                      on_silence: Callable[[], Awaitable[None]] | None = None) -> None:
        waiting = futures
        started = time.monotonic()
        warned_at = started
        while waiting:
            _, waiting = await asyncio.wait(waiting, timeout=max(1.0, self._poll_seconds))
            if not waiting:
                break
            if on_silence is not None and time.monotonic() - started >= self._publish_timeout:
                await on_silence()
                on_silence = None
            with contextlib.suppress(Exception):
                await self._refresh_backlog()
            if time.monotonic() - warned_at >= self._publish_timeout:
                warned_at = time.monotonic()
                log.warning("waiting for Kafka to acknowledge outbox events", unacknowledged=len(waiting),
                            waited_s=round(warned_at - started, 1))

    async def _refresh_backlog(self, at_most_every: float = 0.0) -> None:
        now = time.monotonic()
        if at_most_every and now - self._backlog_refreshed < at_most_every:
            return
        self._backlog_refreshed = now
        async with self._sessions() as session:
            count = await session.scalar(select(func.count()).select_from(self._outbox).where(*_pending(self._outbox)))
        self._metrics.outbox_backlog.set(count or 0)


class RoundConnection:
    """One relay round's connection and session. The round runs in one transaction (its
    advisory lock and row locks end with it) unless Kafka stops answering: then
    :meth:`detach` takes the same lock at session level and commits, so no transaction (no
    row lock, no snapshot holding back vacuum or the check-in watermark) stays open for the
    outage, while other relays are still kept out; what follows runs in short transactions and
    the lock is released when the round ends (the connection is dropped if that fails)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._engine = sessions.kw["bind"]
        self._sessions = sessions
        self._conn: AsyncConnection | None = None
        self.postgres = self._engine.dialect.name == "postgresql"
        self.detached = False

    async def __aenter__(self) -> RoundConnection:
        self._conn = await self._engine.connect()
        self.session = self._sessions(bind=self._conn)
        await self.session.begin()
        return self

    async def detach(self) -> None:
        if not self.detached and self.postgres:
            await self.session.execute(select(func.pg_advisory_lock(RELAY_LOCK_ID)))
        self.detached = True
        await self.session.commit()
        log.info("outbox relay waits for Kafka outside a transaction")

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        assert self._conn is not None
        unlocked = not (self.detached and self.postgres)
        try:
            if kind is None:
                await self.session.commit()
            else:
                await self.session.rollback()
            if not unlocked:
                await self.session.execute(select(func.pg_advisory_unlock(RELAY_LOCK_ID)))
                await self.session.commit()
                unlocked = True
        finally:
            await self.session.close()
            if not unlocked:  # a session lock must not go back to the pool: closing the connection ends it
                await self._conn.invalidate()
            await self._conn.close()


def _pending(outbox: Table) -> tuple[ColumnElement[bool], ...]:
    return outbox.c.published_at.is_(None), outbox.c.parked_at.is_(None)


@dataclass(frozen=True)
class _Round:
    sent: list[int]  # acknowledged by Kafka
    parked: dict[int, str]  # refused for good, with the reason
    error: BaseException | None
    cancelled: bool

    @property
    def settled(self) -> int:
        return len(self.sent) + len(self.parked)
