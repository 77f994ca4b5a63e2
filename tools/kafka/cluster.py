"""Run a real Apache Kafka (KRaft) cluster on this machine without Docker.

Guarantee: :func:`start` returns once every node of the cluster serves metadata listing all
its brokers; storage is formatted on the first start only; a node is taken for running only
when its pid file names a live process started on that node's ``server.properties``. Nodes are
detached ``java … kafka.Kafka server.properties`` processes that outlive the Python process
that started them; :func:`stop` ends them (SIGTERM, then SIGKILL).

``config`` holds the jars, port layout, properties and storage formatting, ``ready`` the
metadata probe, ``cli`` the command line (``python -m tools.kafka``, ``deploy/kafka/kafka-local``).

Layout of a data dir (default ``<repo>/var/kafka``)::

    cluster.json               Kafka version, nodes, base port, bootstrap servers, cluster id
    node-<id>/server.properties
    node-<id>/data/            log.dirs (meta.properties marks formatted KRaft storage)
    node-<id>/logs/            server.log, controller.log, state-change.log
    node-<id>/stdout.log       JVM stdout/stderr (WARN and above only)
    node-<id>/kafka.pid
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import processes
from tools.kafka import config as cfg
from tools.kafka.config import KAFKA_VERSION, cache_dir, fetch_jars, find_java, progress
from tools.kafka.ready import is_ready

__all__ = ["KAFKA_VERSION", "KafkaCluster", "attach", "cache_dir", "fetch_jars", "is_ready", "start", "stop"]

DEFAULT_DATA_DIR = cfg.REPO_ROOT / "var" / "kafka"
CLUSTER_FILE = "cluster.json"
BROKER_JVM_OPTS = ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true"]
READY_TIMEOUT = 120.0


# ------------------------------------------------------------------ processes


def _launch_node(java: str, lib: Path, data_dir: Path, node_id: int) -> int:
    """Start one node as a detached JVM; write and return its pid."""
    node_dir = cfg.node_dir(data_dir, node_id)
    command = cfg.java_command(
        java, lib, node_dir / "logs", BROKER_JVM_OPTS, "kafka.Kafka", str(node_dir / "server.properties")
    )
    with open(node_dir / "stdout.log", "a") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting node {node_id}\n")
    pid = processes.spawn(command, node_dir, node_dir / "stdout.log")
    (node_dir / "kafka.pid").write_text(f"{pid}\n")
    return pid


def _running_pid(node_dir: Path) -> int | None:
    """Pid of the node's broker if it runs (the pid file is checked against the command line)."""
    try:
        pid = int((node_dir / "kafka.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    if not processes.alive(pid):
        return None
    args = processes.command_line(pid)  # empty while the java launcher re-executes itself
    return pid if not args or str(node_dir / "server.properties") in args else None  # else: a recycled pid


def _log_tail(node_dir: Path, lines: int = 30) -> str:
    """Last lines of a node's stdout.log and server.log, for error messages."""
    logs = [log for log in (node_dir / "stdout.log", node_dir / "logs" / "server.log") if log.is_file()]
    return "\n".join(f"--- {log} (last {lines} lines)\n{processes.tail(log, lines)}" for log in logs) \
        or f"(no logs under {node_dir})"


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
        processes.kill(pid)
        (node_dir / "kafka.pid").unlink(missing_ok=True)

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
    saved = load_cluster_file(data_dir)
    if saved and (saved["nodes"], saved["port"]) != (nodes, port):
        raise RuntimeError(
            f"{data_dir} holds a {saved['nodes']}-node cluster on port {saved['port']}; start it with "
            f"--nodes {saved['nodes']} --port {saved['port']} or use another --data-dir"
        )


def load_cluster_file(data_dir: Path) -> dict[str, Any] | None:
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
    saved = load_cluster_file(data_dir)
    if saved is None:
        return None
    cluster = KafkaCluster(data_dir, saved["nodes"], saved["bootstrap"], saved["port"])
    return cluster if any(cluster.node_pids().values()) else None


def stop(data_dir: Path, timeout: float = 30) -> None:
    """SIGTERM every node of ``data_dir``, SIGKILL those left after ``timeout``; no-op if none run."""
    _stop_nodes(sorted(Path(data_dir).resolve().glob("node-*")), timeout)


def _stop_nodes(node_dirs: list[Path], timeout: float = 30) -> None:
    """Stop the nodes of ``node_dirs`` together and remove their pid files."""
    running = [pid for d in node_dirs if (pid := _running_pid(d)) is not None]
    if running:
        progress(f"stopping {len(running)} node(s) under {node_dirs[0].parent}")
        if killed := processes.terminate(running, timeout):
            progress(f"pid(s) {killed} ignored SIGTERM for {timeout:.0f}s; killed")
    for node_dir in node_dirs:
        (node_dir / "kafka.pid").unlink(missing_ok=True)
