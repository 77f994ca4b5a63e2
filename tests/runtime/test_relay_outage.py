"""While Kafka does not answer, a relay round waits without a database transaction.

Before, the round kept its transaction — its row locks and a snapshot that holds back vacuum
and, on the check-in database, the watermark — open for the whole outage. Now, once Kafka has
been silent for the publish timeout, the round holds its advisory lock at session level (other
relays still stay out, so nothing is sent twice) and commits; it marks what Kafka acknowledged
when Kafka returns and then releases the lock. Real PostgreSQL; Kafka's answers are the test's.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from tests.runtime.conftest import ProbeTopic, RuntimeDb, wait_for_value
from tests.runtime.test_outbox import FakeKafka, pending, published_ids, relay_for, stage_rows

pytestmark = pytest.mark.infra


async def open_transactions(rdb: RuntimeDb) -> int:
    async with rdb.sessions() as session:
        return int(await session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")) or 0)


async def rows_lockable(rdb: RuntimeDb) -> int:
    """How many pending rows another transaction can lock right now (none are skipped as locked)."""
    async with rdb.sessions() as session, session.begin():
        rows = (await session.execute(select(rdb.outbox.c.id).where(rdb.outbox.c.published_at.is_(None))
                                      .with_for_update(skip_locked=True))).all()
        return len(rows)


async def test_a_round_waiting_for_kafka_holds_no_transaction_and_still_keeps_other_relays_out(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b", "a"])
    kafka = FakeKafka()  # silent until ack_all
    relay, _ = relay_for(runtime_db, kafka, publish_timeout=0.3, poll_seconds=0.05)
    round_ = asyncio.create_task(relay.publish_batch())
    await wait_for_value(kafka.count, lambda n: n == 3, timeout=10, what="3 sends")
    await wait_for_value(lambda: open_transactions(runtime_db), lambda n: n == 0, timeout=10,
                         what="the waiting round's transaction ended")
    assert await rows_lockable(runtime_db) == 3, "the waiting round still locks its rows"
    assert not round_.done()

    other_kafka = FakeKafka(lambda _, f: f.set_result(None))
    other, _ = relay_for(runtime_db, other_kafka)
    assert await other.publish_batch() == 0 and other_kafka.sent == [], "another relay sent rows still in flight"

    kafka.ack_all()
    assert await asyncio.wait_for(round_, 10) == 3
    assert await published_ids(runtime_db) == set(ids) and await pending(runtime_db) == 0

    later = await stage_rows(runtime_db, probe_topic, ["c"], start_seq=10)
    assert await other.publish_batch() == 1 and other_kafka.sent == later, "the round kept the lock after it ended"
    async with runtime_db.sessions() as session:
        held = await session.scalar(select(func.count()).select_from(text("pg_locks"))
                                    .where(text("locktype = 'advisory' AND database = "
                                                "(SELECT oid FROM pg_database WHERE datname = current_database())")))
    assert held == 0, "a session lock was left behind"  # in this database: the other suites' services share the server
