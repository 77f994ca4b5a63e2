"""The real EventConsumer through a real PostgreSQL restart.

A database that refuses connections while it shuts down (SQLSTATE 57P03) and then is down
is a transient failure: the consumer retries with a capped exponential backoff, applies
every event once and in order when the database is back, and dead-letters nothing. The test
runs a throwaway PostgreSQL of its own (it is stopped) and the session's broker.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.runtime.conftest import (
    ProbeTopic,
    RuntimeDb,
    create_runtime_db,
    envelope_of,
    produce,
    read_topic,
    record_effect,
    record_of,
    unique,
    wait_for_value,
)
from tests.runtime.consumer_harness import assert_applied_once_in_order, effects_count, running_consumer
from tools.postgres import cluster as postgres_local

pytestmark = pytest.mark.infra


async def test_database_restart_is_retried_with_backoff_in_order_without_dead_letters(
    kafka_bootstrap: str, probe_topic: ProbeTopic
) -> None:
    """PostgreSQL goes through a real restart: first refusing new connections while it shuts
    down (SQLSTATE 57P03), then down (connection refused), then up again."""
    group = unique("g-transient")
    ev = probe_topic.event
    subjects = [f"emp{i}" for i in range(3)]
    envs = [envelope_of(ev(employee_id=subjects[i % 3], seq=i)) for i in range(30)]
    pg = await asyncio.to_thread(postgres_local.start_throwaway)
    rdb: RuntimeDb | None = None
    try:
        rdb = await create_runtime_db(pg.url("postgres"))
        attempts: list[float] = []

        def counting_sessions() -> AsyncSession:
            attempts.append(time.monotonic())
            return rdb.sessions()

        async with running_consumer(kafka_bootstrap, rdb, group, {ev: record_effect(group)},
                                    sessions=counting_sessions) as run:
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[:10]])
            await wait_for_value(lambda: effects_count(rdb, group), lambda n: n >= 10, what="effects before")

            # Restart: a fast stop ends every session; the server comes back, but a client keeps it
            # in a smart shutdown ("the database system is shutting down") for a while, then it stops.
            await asyncio.to_thread(pg.stop, "fast")
            await asyncio.to_thread(pg.start)
            holder = await asyncpg.connect(pg.url("postgres").replace("postgresql+asyncpg", "postgresql"))
            await asyncio.to_thread(_pg_ctl_no_wait, pg, "stop", "-m", "smart")
            outage_start = time.monotonic()
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[10:20]])
            await asyncio.sleep(3)
            await holder.close()
            await asyncio.to_thread(_wait_stopped, pg)
            await asyncio.sleep(2)
            await asyncio.to_thread(pg.start)
            outage = time.monotonic() - outage_start
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[20:]])

            await wait_for_value(lambda: effects_count(rdb, group), lambda n: n >= len(envs), timeout=45,
                                 what="effects after the restart")
            assert run.dead_letters == 0, "a transient database failure was dead-lettered"
            retries = run.retries

        during = [t for t in attempts if outage_start <= t <= outage_start + outage]
        assert retries >= 3, f"the outage was not retried ({retries} retries)"
        # Capped exponential backoff: a handful of attempts in a few seconds, not a tight loop.
        assert len(during) <= 20, f"{len(during)} attempts in {outage:.1f} s: a tight loop"
        gaps = [b - a for a, b in itertools.pairwise(during)]
        assert gaps and max(gaps) >= 0.5, f"no backoff between attempts: {gaps}"
        assert_applied_once_in_order(await rdb.effect_rows(group), envs)
        assert await read_topic(kafka_bootstrap, run.consumer.dead_letter_topic, settle=0.5) == []
    finally:
        if rdb is not None:
            await rdb.engine.dispose()
        await asyncio.to_thread(pg.destroy)


def _pg_ctl_no_wait(pg: postgres_local.LocalPostgres, *args: str) -> None:
    cmd = [str(pg.bindir / "pg_ctl"), *args, "-D", str(pg.pgdata), "-W"]
    postgres_local._run_server_cmd(cmd, cwd=pg.data_dir, timeout=30)


def _wait_stopped(pg: postgres_local.LocalPostgres, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while pg.is_running():
        if time.monotonic() > deadline:
            raise AssertionError("PostgreSQL did not stop")
        time.sleep(0.05)
