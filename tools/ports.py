"""Loopback ports for local infrastructure, tests, benchmarks and fault runs.

Guarantee: a port we listen on is at most :data:`MAX_PORT`. Linux hands out ports from 32768
up (``net.ipv4.ip_local_port_range``) as the local end of outgoing connections, so a server
port in that range can be held at any moment by some client's connection (a test's, a
broker's own), and then fail to bind or, worse, look taken by another server.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable

HOST = "127.0.0.1"
MIN_PORT = 1024  # below: privileged
MAX_PORT = 32767  # above: Linux's ephemeral range, see the module docstring
LIMIT_REASON = (f"ports above {MAX_PORT} are Linux's ephemeral range, which the kernel hands out to outgoing "
                "connections, so a server port there may already be held by one")


def port_free(port: int, host: str = HOST) -> bool:
    """Nothing listens on ``host:port``. SO_REUSEADDR mirrors the servers we start, so
    sockets in TIME_WAIT left by a process that just stopped do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port the kernel says is unused right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_block(start: int, span: int = 1, offsets: Iterable[int] = (0,), search: int = 1000) -> int:
    """A base port ``p`` with ``p + offset + i`` free for every offset and ``i < span``.

    The search starts at a random step so that runs side by side on one machine rarely
    race for the same block."""
    offsets = tuple(offsets)
    first = random.randrange(0, search, 10)
    for step in [*range(first, search, 10), *range(0, first, 10)]:
        if all(port_free(start + step + o + i) for o in offsets for i in range(span)):
            return start + step
    raise RuntimeError(f"no free block of {span} port(s) from {start}")
