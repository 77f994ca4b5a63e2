"""Is a Kafka broker serving? One metadata request through aiokafka's client.

Guarantee: :func:`is_ready` answers True only when the broker at ``bootstrap`` lists at least the
expected number of brokers; it never raises for a broker that is down, and it works from inside
a running event loop too (the request then runs on a worker thread).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def is_ready(bootstrap: str, timeout: float = 5, expected_brokers: int = 1) -> bool:
    """True if a metadata request to ``bootstrap`` lists at least ``expected_brokers`` brokers."""
    if not any(_accepts_connections(address, timeout) for address in bootstrap.split(",")):
        return False  # nothing listens yet: skip the client and its connection-error logs
    return _run_sync(lambda: _broker_count(bootstrap, timeout)) >= expected_brokers


def _accepts_connections(address: str, timeout: float) -> bool:
    host, port = address.strip().rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=min(timeout, 1)).close()
    except OSError:
        return False
    return True


async def _broker_count(bootstrap: str, request_timeout: float) -> int:
    """Brokers listed by one metadata request through aiokafka's client; 0 on failure."""
    from aiokafka import AIOKafkaClient  # imported late so that fetch/stop work without it
    from aiokafka.errors import KafkaError

    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(request_timeout * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), request_timeout)
        return len(client.cluster.brokers())
    except (KafkaError, OSError):  # TimeoutError is an OSError
        return 0
    finally:
        await client.close()


def _run_sync(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()
