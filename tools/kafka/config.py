"""What the local Kafka runs (see ``cluster``): jars, ports, ``server.properties``, storage.

* Jars: the runtime closure of ``deploy/kafka/pom.xml``, copied once by Maven into
  ``${HADIR_CACHE_DIR:-~/.cache/hadir}/kafka/<version>/libs`` (outside the git clone).
* Ports, all on 127.0.0.1; node ids are 1..n and node ``i`` uses

  - broker (PLAINTEXT) port ``port + i - 1``          e.g. 9092, or 9092/9093/9094
  - controller port         ``port + 1000 + i - 1``   e.g. 10092, or 10092/10093/10094

  Every node is a combined ``broker,controller`` process, so three nodes form a 3-voter
  quorum that survives losing any one node. Ports stay at or below ``ports.MAX_PORT`` (32767),
  below Linux's ephemeral range (see :mod:`tools.ports`).
* Storage: ``kafka.tools.StorageTool format`` once per node, before its first start only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from tools import ports

KAFKA_VERSION = "4.3.1"

REPO_ROOT = Path(__file__).resolve().parents[2]
POM_FILE = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "deploy" / "kafka" / "log4j2.yaml"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
COMPLETE_MARKER = ".complete"
TOOL_JVM_OPTS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]

HOST = "127.0.0.1"
CONTROLLER_PORT_OFFSET = 1000
SUPPORTED_NODE_COUNTS = (1, 3)


def progress(message: str) -> None:
    """Progress of the slow steps, on stderr (stdout is kept for results)."""
    print(f"kafka-local: {message}", file=sys.stderr, flush=True)


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


# ----------------------------------------------------------------- jars, java


def cache_dir() -> Path:
    """Per-version cache, ``${HADIR_CACHE_DIR:-~/.cache/hadir}/kafka/<version>``."""
    root = os.environ.get("HADIR_CACHE_DIR") or Path.home() / ".cache" / "hadir"
    return Path(root).expanduser() / "kafka" / KAFKA_VERSION


def fetch_jars(quiet: bool = False) -> Path:
    """Return the directory holding the broker's class path, downloading it once.

    Maven copies the jars into a temporary sibling directory, which is marked complete
    and then renamed into place, so an interrupted download never looks finished.
    When the marker exists Maven is not run at all.
    """
    lib = cache_dir() / "libs"
    if (lib / COMPLETE_MARKER).is_file():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(lib.parent / ".fetch.lock"):
        if (lib / COMPLETE_MARKER).is_file():  # another process finished meanwhile
            return lib
        staging = Path(tempfile.mkdtemp(prefix="libs.tmp-", dir=lib.parent))
        try:
            started = time.monotonic()
            if not quiet:
                progress(f"downloading Kafka {KAFKA_VERSION} jars from Maven Central into {lib} (once)")
            _run_maven(staging)
            _check_jars(staging)
            (staging / COMPLETE_MARKER).write_text(f"kafka {KAFKA_VERSION}\n")
            if lib.exists():  # left over without a marker
                shutil.rmtree(lib)
            staging.rename(lib)
            if not quiet:
                progress(f"jars ready in {time.monotonic() - started:.1f}s")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return lib


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock, so that concurrent fetches do not download twice."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run_maven(output_dir: Path) -> None:
    """Copy the runtime closure of deploy/kafka/pom.xml into ``output_dir``."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) not found on PATH; install Maven 3.8+ (e.g. apt-get install maven)")
    command = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(POM_FILE),
        DEPENDENCY_PLUGIN,
        "-DincludeScope=runtime",
        f"-DoutputDirectory={output_dir}",
        f"-Dkafka.version={KAFKA_VERSION}",
    ]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"mvn failed ({result.returncode}):\n{tail(result.stdout + result.stderr)}")


def _check_jars(lib: Path) -> None:
    broker_jar = lib / f"kafka_2.13-{KAFKA_VERSION}.jar"
    if not broker_jar.is_file():
        raise RuntimeError(f"{broker_jar.name} missing after mvn copy-dependencies into {lib}")


def find_java() -> str:
    """The java executable: ``$JAVA_HOME/bin/java``, else ``java`` on PATH (Java 17+)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "Java 17+ not found: set JAVA_HOME or put java on PATH (e.g. apt-get install openjdk-17-jre-headless)"
        )
    return java


def java_command(java: str, lib: Path, log_dir: Path, jvm_opts: list[str], main: str, *args: str) -> list[str]:
    """``java <opts> -cp '<lib>/*' <main> <args>`` with the log4j2 config and log directory."""
    return [
        java,
        *jvm_opts,
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={log_dir}",
        "-cp",
        f"{lib}/*",
        main,
        *args,
    ]


# ---------------------------------------------------------------------- ports


def broker_port(port: int, node_id: int) -> int:
    """Client-facing PLAINTEXT port of ``node_id`` (1-based)."""
    return port + node_id - 1


def controller_port(port: int, node_id: int) -> int:
    """KRaft controller port of ``node_id`` (1-based)."""
    return port + CONTROLLER_PORT_OFFSET + node_id - 1


def node_ids(nodes: int) -> list[int]:
    return list(range(1, nodes + 1))


def node_ports(port: int, node_id: int) -> list[int]:
    """The broker and controller ports of one node."""
    return [broker_port(port, node_id), controller_port(port, node_id)]


def bootstrap_servers(port: int, nodes: int) -> str:
    """The ``bootstrap.servers`` string clients use, e.g. ``127.0.0.1:9092``."""
    return ",".join(f"{HOST}:{broker_port(port, i)}" for i in node_ids(nodes))


def validate_layout(port: int, nodes: int) -> None:
    """Reject node counts and ports the layout does not support, saying why."""
    if nodes not in SUPPORTED_NODE_COUNTS:
        raise ValueError(f"nodes must be one of {SUPPORTED_NODE_COUNTS}, got {nodes}")
    highest = controller_port(port, nodes)
    if port < ports.MIN_PORT or highest > ports.MAX_PORT:
        raise ValueError(
            f"Kafka port {port} is refused: with {nodes} node(s) it uses ports {port}..{highest} (controllers on "
            f"broker port + {CONTROLLER_PORT_OFFSET}), and they must lie within {ports.MIN_PORT}..{ports.MAX_PORT}; "
            f"{ports.LIMIT_REASON}. Pick a port of at most {ports.MAX_PORT - CONTROLLER_PORT_OFFSET - nodes + 1}."
        )


def port_in_use(port: int, host: str = HOST) -> bool:
    """True if something already listens on ``host:port``."""
    return not ports.port_free(port, host)


def ensure_ports_free(ports: Iterable[int]) -> None:
    """Raise naming the first of ``ports`` that something else already holds."""
    for candidate in ports:
        if port_in_use(candidate):
            raise RuntimeError(
                f"port {candidate} on {HOST} is already in use by another process; stop it "
                f"(another Kafka? try `deploy/kafka/kafka-local status`) or choose another --port"
            )


# ----------------------------------------------------------- server.properties


def node_properties(node_id: int, nodes: int, port: int, log_dir: Path) -> dict[str, str]:
    """``server.properties`` of one combined broker+controller node."""
    broker = f"{HOST}:{broker_port(port, node_id)}"
    controller = f"{HOST}:{controller_port(port, node_id)}"
    voters = ",".join(f"{HOST}:{controller_port(port, i)}" for i in node_ids(nodes))
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.bootstrap.servers": voters,
        "listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "advertised.listeners": f"PLAINTEXT://{broker},CONTROLLER://{controller}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": "6",
        "auto.create.topics.enable": "true",
        "offsets.topic.num.partitions": "10",
        "group.initial.rebalance.delay.ms": "0",
    }
    props.update(_replication_properties(nodes))
    return props


def _replication_properties(nodes: int) -> dict[str, str]:
    """Replication factors: all 1 on a single node; RF 3 / min ISR 2 on three."""
    factor, min_isr = ("1", "1") if nodes == 1 else ("3", "2")
    props = {
        "offsets.topic.replication.factor": factor,
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": min_isr,
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": min_isr,
    }
    if nodes > 1:
        props |= {
            "default.replication.factor": factor,
            "min.insync.replicas": min_isr,
            # Fence a killed node within seconds instead of the 9 s default.
            "broker.session.timeout.ms": "4000",
            "broker.heartbeat.interval.ms": "1000",
        }
    return props


def render_properties(props: dict[str, str], header: str = "") -> str:
    """Render a Java properties file (values here never need escaping)."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def node_dir(data_dir: Path, node_id: int) -> Path:
    return data_dir / f"node-{node_id}"


def write_node_configs(data_dir: Path, nodes: int, port: int) -> None:
    """(Re)write ``node-<id>/server.properties`` for every node; creates the directories."""
    header = f"Written by tools/kafka/cluster.py (Kafka {KAFKA_VERSION}) on every start."
    for node_id in node_ids(nodes):
        directory = node_dir(data_dir, node_id)
        (directory / "logs").mkdir(parents=True, exist_ok=True)
        props = node_properties(node_id, nodes, port, directory / "data")
        (directory / "server.properties").write_text(render_properties(props, header))


# -------------------------------------------------------------- KRaft storage


def meta_properties(directory: Path) -> Path:
    """``meta.properties`` of a node directory: present once its storage is formatted."""
    return directory / "data" / "meta.properties"


def read_cluster_id(directory: Path) -> str | None:
    """The ``cluster.id`` recorded in a node directory's ``meta.properties``, if formatted."""
    meta = meta_properties(directory)
    if not meta.is_file():
        return None
    for line in meta.read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1].strip()
    return None


def format_storage(java: str, lib: Path, data_dir: Path, nodes: int, port: int) -> str:
    """Format every node's KRaft storage unless it is formatted already; return the cluster id."""
    dirs = [node_dir(data_dir, i) for i in node_ids(nodes)]
    formatted = [meta_properties(d).is_file() for d in dirs]
    if all(formatted):
        return read_cluster_id(dirs[0]) or ""
    if any(formatted):
        raise RuntimeError(f"only some nodes under {data_dir} have formatted storage; delete it to start afresh")
    progress(f"formatting KRaft storage of {nodes} node(s) under {data_dir}")
    cluster_id, *directory_ids = _random_uuids(java, lib, dirs[0] / "logs", 1 if nodes == 1 else 1 + nodes)
    if nodes == 1:
        quorum = [["--standalone"]]
    else:
        voters = initial_controllers(port, dict(zip(node_ids(nodes), directory_ids, strict=True)))
        quorum = [["--initial-controllers", voters]] * nodes
    _run_tools(
        [
            java_command(
                java,
                lib,
                d / "logs",
                TOOL_JVM_OPTS,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(d / "server.properties"),
                *args,
            )
            for d, args in zip(dirs, quorum, strict=True)
        ]
    )
    return cluster_id


def initial_controllers(port: int, directory_ids: dict[int, str]) -> str:
    """``--initial-controllers`` value: ``id@host:controller-port:directory-uuid,...``."""
    return ",".join(
        f"{node}@{HOST}:{controller_port(port, node)}:{directory_ids[node]}" for node in sorted(directory_ids)
    )


def _random_uuids(java: str, lib: Path, log_dir: Path, count: int) -> list[str]:
    """``count`` fresh Kafka uuids from ``StorageTool random-uuid`` (run in parallel)."""
    command = java_command(java, lib, log_dir, TOOL_JVM_OPTS, "kafka.tools.StorageTool", "random-uuid")
    return [output.strip().splitlines()[-1] for output in _run_tools([command] * count)]


def _run_tools(commands: list[list[str]]) -> list[str]:
    """Run short-lived java tools concurrently; return their output, or raise showing it."""
    procs = [
        subprocess.Popen(c, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for c in commands
    ]
    outputs = [proc.communicate()[0] for proc in procs]
    for command, proc, output in zip(commands, procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command[-7:])} failed ({proc.returncode}):\n{tail(output)}")
    return outputs
