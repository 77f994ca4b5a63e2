"""Run a real Apache Kafka (KRaft) cluster on this machine without Docker.

The broker is assembled from Maven Central jars (``deploy/kafka/pom.xml``, cached outside
the git clone by ``fetch_jars``) and runs as detached ``java ... kafka.Kafka
server.properties`` processes that outlive the Python process which started them.
``kafka_config`` holds the jars, port layout, properties and storage formatting; this
module the processes, readiness, the ``KafkaCluster`` handle and the CLI.

Layout of a data dir (default ``<repo>/var/kafka``)::

    cluster.json               Kafka version, nodes, base port, bootstrap servers, cluster id
    node-<id>/server.properties
    node-<id>/data/            log.dirs (meta.properties marks formatted KRaft storage)
    node-<id>/logs/            server.log, controller.log, state-change.log
    node-<id>/stdout.log       JVM stdout/stderr (WARN and above only)
    node-<id>/kafka.pid

Ports (127.0.0.1): node i's broker on ``port + i - 1``, its controller on ``port + 1000 + i - 1``;
single node: 9092 and 10092 by default.

CLI: ``python -m services.devtools.kafka_local {fetch,start,stop,status}`` (see ``--help``),
or ``deploy/kafka/kafka-local``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from services.devtools import kafka_config as cfg
from services.devtools.kafka_config import KAFKA_VERSION, cache_dir, fetch_jars, find_java, progress

__all__ = ["KAFKA_VERSION", "KafkaCluster", "attach", "cache_dir", "fetch_jars", "is_ready", "start", "stop"]

DEFAULT_DATA_DIR = cfg.REPO_ROOT / "var" / "kafka"
CLUSTER_FILE = "cluster.json"
BROKER_JVM_OPTS = ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
READY_TIMEOUT = 120.0
T = TypeVar("T")

# Popen objects of the nodes this process started: polling them reaps exited children,
# which would otherwise linger as zombies that still look alive to os.kill(pid, 0).
_children: dict[int, subprocess.Popen[bytes]] = {}


# ------------------------------------------------------------------ processes


def _launch_node(java: str, lib: Path, data_dir: Path, node_id: int) -> int:
    """Start one node as a detached JVM (own session); write and return its pid."""
    node_dir = cfg.node_dir(data_dir, node_id)
    command = cfg.java_command(
        java, lib, node_dir / "logs", BROKER_JVM_OPTS, "kafka.Kafka", str(node_dir / "server.properties")
    )
    with open(node_dir / "stdout.log", "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting node {node_id}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            command,
            cwd=node_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children[proc.pid] = proc
    (node_dir / "kafka.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def _is_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie is dead, even though kill(0) succeeds
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _running_pid(node_dir: Path) -> int | None:
    """Pid of the node's broker if it runs (the pid file is checked against the command line)."""
    try:
        pid = int((node_dir / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    if not _is_alive(pid):
        return None
    try:  # Linux: guard against a recycled pid
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid
    # Empty while the java launcher re-executes itself, right after the start.
    if args == [b""] or str(node_dir / "server.properties").encode() in args:
        return pid
    return None


def _wait_exit(pids: list[int], timeout: float) -> list[int]:
    """Wait until the processes exit; return those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if _is_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _is_alive(p)]
    return alive


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _forget(pid: int, node_dir: Path) -> None:
    _children.pop(pid, None)
    (node_dir / "kafka.pid").unlink(missing_ok=True)


def _log_tail(node_dir: Path, lines: int = 30) -> str:
    """Last lines of a node's stdout.log and server.log, for error messages."""
    parts = []
    for log in (node_dir / "stdout.log", node_dir / "logs" / "server.log"):
        if log.is_file():
            text = log.read_text(errors="replace")
            parts.append(f"--- {log} (last {lines} lines)\n{cfg.tail(text, lines)}")
    return "\n".join(parts) or f"(no logs under {node_dir})"


# ------------------------------------------------------------------ readiness


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


def _wait_ready(cluster: KafkaCluster, node_ids: list[int], expected_brokers: int, timeout: float) -> float:
    """Wait until each of ``node_ids`` serves metadata listing ``expected_brokers``; return seconds."""
    started = time.monotonic()
    next_report = 5.0
    pending = list(node_ids)
    while pending:
        elapsed = time.monotonic() - started
        for node_id in pending:
            node_dir = cfg.node_dir(cluster.data_dir, node_id)
            if _running_pid(node_dir) is None:
                raise RuntimeError(f"Kafka node {node_id} exited during startup\n{_log_tail(node_dir)}")
        address = {i: f"{cfg.HOST}:{cfg.broker_port(cluster.port, i)}" for i in pending}
        pending = [i for i in pending if not is_ready(address[i], min(5, timeout), expected_brokers)]
        if not pending:
            break
        if elapsed > timeout:
            tails = "\n".join(_log_tail(cfg.node_dir(cluster.data_dir, i)) for i in pending)
            raise RuntimeError(f"Kafka node(s) {pending} not ready after {timeout:.0f}s\n{tails}")
        if elapsed >= next_report:
            progress(f"waiting for node(s) {pending} to list {expected_brokers} broker(s)... {elapsed:.0f}s")
            next_report += 5
        time.sleep(0.5)
    return time.monotonic() - started


# ------------------------------------------------------------------- cluster


@dataclass
class KafkaCluster:
    """A local cluster, described by its data dir; methods act on its node processes."""

    data_dir: Path
    nodes: int
    bootstrap: str
    port: int = 9092

    def stop(self, timeout: float = 30) -> None:
        """Stop every node (SIGTERM, then SIGKILL after ``timeout``)."""
        stop(self.data_dir, timeout)

    def node_pids(self) -> dict[int, int | None]:
        """Pid of each node, None for a node that is not running."""
        return {i: _running_pid(cfg.node_dir(self.data_dir, i)) for i in cfg.node_ids(self.nodes)}

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would (fault tests)."""
        node_dir = cfg.node_dir(self.data_dir, node_id)
        pid = _running_pid(node_dir)
        if pid is None:
            raise RuntimeError(f"node {node_id} of {self.data_dir} is not running")
        os.kill(pid, signal.SIGKILL)
        _wait_exit([pid], 10)
        _forget(pid, node_dir)

    def start_node(self, node_id: int, wait: bool = True) -> None:
        """(Re)start one node with its existing config and storage; never reformats."""
        node_dir = cfg.node_dir(self.data_dir, node_id)
        if node_id not in cfg.node_ids(self.nodes) or not cfg.meta_properties(node_dir).is_file():
            raise RuntimeError(f"node {node_id} has no formatted storage under {self.data_dir}")
        if _running_pid(node_dir) is None:
            cfg.ensure_ports_free(cfg.node_ports(self.port, node_id))
            _launch_node(find_java(), fetch_jars(quiet=True), self.data_dir, node_id)
        if wait:  # every running node must see the restarted broker, not only the broker itself
            running = [i for i, pid in self.node_pids().items() if pid is not None]
            _wait_ready(self, running, len(running), READY_TIMEOUT)


def start(data_dir: Path, nodes: int = 1, port: int = 9092, wait_timeout: float = READY_TIMEOUT) -> KafkaCluster:
    """Start (or complete) the cluster of ``data_dir`` and wait until every broker serves metadata.

    Storage is formatted on the first start only. Nodes already running are left alone.
    On failure the nodes started here are stopped and the error carries their log tails.
    """
    data_dir = Path(data_dir).resolve()
    cfg.validate_layout(port, nodes)
    _check_saved_layout(data_dir, nodes, port)
    cluster = KafkaCluster(data_dir, nodes, cfg.bootstrap_servers(port, nodes), port)
    missing = [i for i, pid in cluster.node_pids().items() if pid is None]
    cfg.ensure_ports_free(p for i in missing for p in cfg.node_ports(port, i))
    lib, java = fetch_jars(), find_java()
    data_dir.mkdir(parents=True, exist_ok=True)
    cfg.write_node_configs(data_dir, nodes, port)
    cluster_id = cfg.format_storage(java, lib, data_dir, nodes, port)
    _save_cluster_file(cluster, cluster_id)
    for node_id in missing:
        _launch_node(java, lib, data_dir, node_id)
    progress(f"started node(s) {missing or 'none (already running)'}; waiting for {cluster.bootstrap}")
    try:
        elapsed = _wait_ready(cluster, cfg.node_ids(nodes), nodes, wait_timeout)
    except BaseException:
        _stop_nodes([cfg.node_dir(data_dir, i) for i in missing])
        raise
    progress(f"ready in {elapsed:.1f}s: {cluster.bootstrap}")
    return cluster


def _check_saved_layout(data_dir: Path, nodes: int, port: int) -> None:
    saved = _load_cluster_file(data_dir)
    if saved and (saved["nodes"], saved["port"]) != (nodes, port):
        raise RuntimeError(
            f"{data_dir} holds a {saved['nodes']}-node cluster on port {saved['port']}; start it with "
            f"--nodes {saved['nodes']} --port {saved['port']} or use another --data-dir"
        )


def _load_cluster_file(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / CLUSTER_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def _save_cluster_file(cluster: KafkaCluster, cluster_id: str) -> None:
    info = {
        "kafka_version": KAFKA_VERSION,
        "nodes": cluster.nodes,
        "port": cluster.port,
        "bootstrap": cluster.bootstrap,
        "cluster_id": cluster_id,
    }
    (cluster.data_dir / CLUSTER_FILE).write_text(json.dumps(info, indent=2) + "\n")


def attach(data_dir: Path) -> KafkaCluster | None:
    """The cluster of ``data_dir`` if at least one of its nodes is running, else None."""
    data_dir = Path(data_dir).resolve()
    saved = _load_cluster_file(data_dir)
    if saved is None:
        return None
    cluster = KafkaCluster(data_dir, saved["nodes"], saved["bootstrap"], saved["port"])
    return cluster if any(cluster.node_pids().values()) else None


def stop(data_dir: Path, timeout: float = 30) -> None:
    """SIGTERM every node of ``data_dir``, SIGKILL those left after ``timeout``; no-op if none run."""
    _stop_nodes(sorted(Path(data_dir).resolve().glob("node-*")), timeout)


def _stop_nodes(node_dirs: list[Path], timeout: float = 30) -> None:
    """Stop the nodes of ``node_dirs`` together and remove their pid files."""
    running = {d: pid for d in node_dirs if (pid := _running_pid(d)) is not None}
    if running:
        progress(f"stopping {len(running)} node(s) under {node_dirs[0].parent}")
        _signal(list(running.values()), signal.SIGTERM)
        survivors = _wait_exit(list(running.values()), timeout)
        if survivors:
            progress(f"pid(s) {survivors} ignored SIGTERM for {timeout:.0f}s; killing")
            _signal(survivors, signal.SIGKILL)
            _wait_exit(survivors, 10)
    for node_dir in node_dirs:
        _forget(running.get(node_dir, -1), node_dir)


# ----------------------------------------------------------------------- CLI


def _cmd_fetch(args: argparse.Namespace) -> int:
    print(fetch_jars())
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    saved = _load_cluster_file(args.data_dir.resolve()) or {}
    nodes = args.nodes or saved.get("nodes", 1)
    port = args.port or saved.get("port", 9092)
    cluster = start(args.data_dir, nodes=nodes, port=port)
    print(cluster.bootstrap, flush=True)
    return _run_foreground(cluster) if args.foreground else 0


def _run_foreground(cluster: KafkaCluster) -> int:
    """Block until Ctrl-C/SIGTERM (then stop the cluster) or until every node has exited."""
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    progress("running in the foreground; Ctrl-C stops the cluster")
    try:
        while not stop_requested.wait(1):
            if not any(cluster.node_pids().values()):
                progress("every node has exited; see node-*/logs/server.log")
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


def _cmd_stop(args: argparse.Namespace) -> int:
    stop(args.data_dir)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    """Print each node's state; exit 0 when every node runs and lists every broker."""
    cluster = attach(args.data_dir)
    if cluster is None:
        print(f"not running ({args.data_dir.resolve()})")
        return 1
    saved = _load_cluster_file(cluster.data_dir) or {}
    print(f"cluster {saved.get('cluster_id')} (Kafka {saved.get('kafka_version')}) in {cluster.data_dir}")
    pids = cluster.node_pids()
    running = sum(pid is not None for pid in pids.values())
    healthy = running == cluster.nodes
    for node_id, pid in pids.items():
        broker = f"{cfg.HOST}:{cfg.broker_port(cluster.port, node_id)}"
        ready = pid is not None and is_ready(broker, expected_brokers=running)
        healthy &= ready
        state = f"running (pid {pid}), {'ready' if ready else 'NOT ready'}" if pid else "stopped"
        print(
            f"  node {node_id}: {state}; broker {broker}, "
            f"controller {cfg.HOST}:{cfg.controller_port(cluster.port, node_id)}"
        )
    print(f"bootstrap servers: {cluster.bootstrap}")
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kafka-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["fetch", "start", "stop", "status"])
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cluster state and logs (default: <repo>/var/kafka)"
    )
    parser.add_argument(
        "--nodes",
        type=int,
        choices=cfg.SUPPORTED_NODE_COUNTS,
        help="1 (default) or 3; an existing data dir keeps its own",
    )
    parser.add_argument("--port", type=int, help="base broker port (default 9092; controllers use port+1000)")
    parser.add_argument(
        "--foreground", action="store_true", help="start: keep running and stop the cluster on Ctrl-C/SIGTERM"
    )
    args = parser.parse_args(argv)
    handler = {"fetch": _cmd_fetch, "start": _cmd_start, "stop": _cmd_stop, "status": _cmd_status}
    try:
        return handler[args.command](args)
    except (RuntimeError, ValueError) as exc:
        print(f"kafka-local: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
