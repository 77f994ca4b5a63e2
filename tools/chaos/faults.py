"""The faults: each strikes once, in the middle of a scenario's stream, and leaves the
environment whole again when it returns (a killed process is restarted and ready)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiokafka.admin import AIOKafkaAdminClient

from tools.chaos import hostile
from tools.chaos.environment import Environment
from tools.chaos.parameters import DOWNTIME, SERVICES, VICTIM_GROUP, say

FAULTS = ("broker-kill", "checkin-kill", "policy-kill", "reporting-kill", "notify-kill", "postgres-restart",
          "hostile")
EXTRA_FAULTS = ("postgres-crash",)  # on request (--fault) only


async def _kill_service(env: Environment, name: str) -> None:
    proc = env.suite[name]
    say(f"kill -9 {name} (pid {proc.process.pid if proc.process else '?'})")
    proc.kill()
    await asyncio.sleep(DOWNTIME)
    proc.start()
    await asyncio.to_thread(env.suite.wait_ready, 180, (name,))
    say(f"{name} restarted and ready")


async def _coordinator_of(env: Environment, group: str) -> int:
    """The broker coordinating ``group`` (node 1 if that cannot be found out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.kafka.bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        return await admin.find_coordinator(group)
    except Exception:  # noqa: BLE001 — any broker will do
        return 1
    finally:
        await admin.close()


async def _kill_broker(env: Environment) -> None:
    """The broker that coordinates the evaluator group leads partitions too: its death moves
    both the group coordinator and partition leadership in the middle of the stream."""
    node = await _coordinator_of(env, VICTIM_GROUP)
    say(f"kill -9 Kafka node {node}, coordinator of {VICTIM_GROUP} (pid {env.kafka.node_pids().get(node)})")
    await asyncio.to_thread(env.kafka.kill_node, node)
    await asyncio.sleep(DOWNTIME + 2)
    await asyncio.to_thread(env.kafka.start_node, node)
    say(f"Kafka node {node} restarted and back in the cluster")


async def _restart_postgres(env: Environment) -> None:
    say("restarting PostgreSQL (fast shutdown, 3 s down)")
    await asyncio.to_thread(env.pg.restart, "fast", 3.0)
    say("PostgreSQL is back")


async def _crash_postgres(env: Environment) -> None:
    say("kill -9 PostgreSQL's postmaster (crash recovery on restart, 3 s down)")
    await asyncio.to_thread(env.pg.kill)
    await asyncio.sleep(3.0)
    await asyncio.to_thread(env.pg.start)
    say("PostgreSQL recovered")


def fault_action(name: str) -> Callable[[Environment], Awaitable[None]]:
    if name == "broker-kill":
        return _kill_broker
    if name == "postgres-restart":
        return _restart_postgres
    if name == "postgres-crash":
        return _crash_postgres
    if name == "hostile":
        return hostile.strike
    service = name.removesuffix("-kill")
    if name.endswith("-kill") and service in SERVICES:
        return lambda env: _kill_service(env, service)
    raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")
