"""The local broker from the command line: ``python -m tools.kafka {fetch,start,stop,status}``
(also ``deploy/kafka/kafka-local`` and ``hadir kafka``). Exit status 0 on success, 1 when
``status`` finds a node down, 2 on an error (printed without a traceback)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from tools.kafka import config as cfg
from tools.kafka.cluster import (
    DEFAULT_DATA_DIR,
    KafkaCluster,
    attach,
    fetch_jars,
    is_ready,
    load_cluster_file,
    progress,
    start,
    stop,
)


def _cmd_fetch(args: argparse.Namespace) -> int:
    print(fetch_jars())
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    saved = load_cluster_file(args.data_dir.resolve()) or {}
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
    saved = load_cluster_file(cluster.data_dir) or {}
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
    parser = argparse.ArgumentParser(prog="python -m tools.kafka",
                                     description="Local Apache Kafka (KRaft) from Maven Central jars.")
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

