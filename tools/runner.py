"""The moving parts behind ``hadir run`` and ``hadir services``: the var dir, a Kafka broker,
the four service processes, readiness with progress and a quick shutdown.

Guarantees of ``hadir run``:

* one run per var dir: the var dir holds the run's SQLite databases, dev keys and Kafka data,
  and a second run on it is refused (:func:`hold_var_dir`);
* it never joins a broker it did not start: the Kafka port must be free, or served by the local
  broker of the var dir's own Kafka data dir (``hadir kafka start`` started it; it is left
  running); anything else on the port is refused with the port and how to pick another;
* its consumer groups carry an instance suffix derived from the var dir (:func:`instance_of`),
  so suites run side by side never share a group, and a restart on the same var dir resumes
  its own groups.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tools import processes
from tools.kafka import cluster as kafka_local
from tools.kafka import config as kafka_config
from tools.kafka import docker as docker_kafka
from tools.ports import free_block, port_free
from tools.suite import PORTS, Suite
from tools.supervisor import RunError, Supervisor

__all__ = ["RunError", "Supervisor", "ensure_kafka", "hold_var_dir", "instance_of", "run_env", "start_suite"]

SERVICES = tuple(PORTS)  # checkin, policy, notify, reporting
DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")
LOCK_NAME = "hadir-run.lock"


# ---------------------------------------------------------------------- var dir


def hold_var_dir(var_dir: Path) -> IO[str]:
    """Lock ``var_dir`` for this run (released when the returned file is closed or the process ends)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    handle = open(var_dir / LOCK_NAME, "a+")  # noqa: SIM115 — held open for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise RunError(f"another `hadir run` (pid {holder}) uses {var_dir}; stop it, or give this run its own "
                       "--var-dir (and --base-port and --kafka-port)") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def instance_of(var_dir: Path) -> str:
    """The consumer-group suffix of the suite whose state lives in ``var_dir``: stable for one var dir."""
    return "run-" + hashlib.sha256(str(var_dir.resolve()).encode()).hexdigest()[:8]


# ------------------------------------------------------------------------- Kafka


@dataclass
class KafkaHandle:
    bootstrap: str
    description: str
    stop: Callable[[], None] | None = None  # None: not started by this command, left running


def kafka_data_dir(var_dir: Path, port: int) -> Path:
    return var_dir / "kafka" if port == 9092 else var_dir / f"kafka-{port}"


def local_kafka_unavailable() -> str | None:
    """Why the Maven-jar broker cannot run here, or None if it can."""
    try:
        kafka_config.find_java()
    except RuntimeError as exc:
        return str(exc)
    jars_cached = (kafka_config.cache_dir() / "libs" / kafka_config.COMPLETE_MARKER).is_file()
    if not jars_cached and shutil.which("mvn") is None:
        return "Maven (mvn) not found and the Kafka jars are not cached yet"
    return None


def check_kafka_port(port: int, data_dir: Path) -> kafka_local.KafkaCluster | None:
    """The var dir's own running broker on ``port``, None when the port is free; otherwise refuse."""
    try:
        kafka_config.validate_layout(port, nodes=1)
    except ValueError as exc:
        raise RunError(f"{exc} (--kafka-port)") from None
    own = kafka_local.attach(data_dir)
    if own is not None and own.port == port:
        return own
    taken = [p for p in kafka_config.node_ports(port, 1) if not port_free(p)]
    if not taken:
        return None
    what = "a Kafka broker" if kafka_local.is_ready(f"127.0.0.1:{port}", timeout=3) else "another process"
    other = free_block(port + 100, 1, offsets=(0, kafka_config.CONTROLLER_PORT_OFFSET))
    raise RunError(
        f"Kafka port {taken[0]} on 127.0.0.1 is already in use by {what} that this `hadir run` did not start "
        f"(the broker needs port {port} and its controller port {port + kafka_config.CONTROLLER_PORT_OFFSET}). "
        f"hadir run only uses a broker it starts, so that its services never join another suite's consumer "
        f"groups. Stop that process, or pick another port, e.g. `hadir run --kafka-port {other}`."
    )


def ensure_kafka(port: int, data_dir: Path, say: Callable[[str], None]) -> KafkaHandle:
    """A broker on 127.0.0.1:<port> that this command starts from Maven jars (Java 17+ and Maven), else
    from the ``apache/kafka`` image when Docker answers; or the var dir's own local broker, left running."""
    own = check_kafka_port(port, data_dir)
    bootstrap = f"127.0.0.1:{port}"
    if own is not None:
        say(f"using the local broker of {data_dir}, started earlier (`hadir kafka start`) ...")
        own = kafka_local.start(data_dir, nodes=own.nodes, port=port)  # completes it; waits until ready
        return KafkaHandle(own.bootstrap, f"{own.bootstrap} (local broker started earlier, data in {data_dir}; "
                                          "left running)")
    why_not_local = local_kafka_unavailable()
    if why_not_local is None:
        say(f"starting the local Kafka broker on {bootstrap} (data in {data_dir}) ...")
        cluster = kafka_local.start(data_dir, nodes=1, port=port)
        return KafkaHandle(cluster.bootstrap, f"{cluster.bootstrap} (local broker, data in {data_dir})", cluster.stop)
    if docker_kafka.docker_answers():
        say(f"{why_not_local}; starting Kafka from the {docker_kafka.IMAGE} image instead ...")
        container = docker_kafka.start(port)
        return KafkaHandle(container.bootstrap, f"{container.bootstrap} (Docker container {container.name})",
                           container.stop)
    raise RunError(
        f"no Kafka broker can be started here: {why_not_local}, and no Docker engine answers. Install Java 17+ "
        "and Maven (e.g. apt-get install openjdk-17-jre-headless maven), or start Docker."
    )


# --------------------------------------------------------------------- services


def service_ports(base_port: int) -> dict[str, int]:
    """checkin, policy, notify, reporting on base_port .. base_port+3 (8001-8004 by default)."""
    first = min(PORTS.values())
    return {name: base_port + port - first for name, port in PORTS.items()}


def ensure_ports_free(ports: Iterable[int]) -> None:
    for port in ports:
        if not port_free(port):
            raise RunError(f"port {port} is in use (another `hadir run`?); stop it or pass --base-port")


def run_env(var_dir: Path, bootstrap: str, jwks: Path) -> dict[str, str]:
    """The embedded default: SQLite files under ``var_dir``, this broker, the dev keys, consumer
    groups suffixed with the var dir's instance."""
    env = {
        "HADIR_ENVIRONMENT": "development",
        "HADIR_VAR_DIR": str(var_dir),
        "HADIR_INSTANCE": instance_of(var_dir),
        "HADIR_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HADIR_JWT_JWKS_FILE": str(jwks),
        "HADIR_DATABASE_URL": "",  # ignore a shared URL from the caller's environment
    }
    for name in SERVICES:
        env[f"HADIR_{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{var_dir / f'{name}.db'}"
    return env


def wipe(var_dir: Path, kafka_dir: Path | None, say: Callable[[str], None]) -> None:
    """Delete the services' SQLite files and, if given (a broker that is not running), its data."""
    removed = [p for name in SERVICES for suffix in DATABASE_SUFFIXES if (p := var_dir / f"{name}{suffix}").exists()]
    for path in removed:
        path.unlink()
    if kafka_dir is not None and kafka_dir.exists():
        shutil.rmtree(kafka_dir)
        removed.append(kafka_dir)
    say(f"--fresh: removed {', '.join(p.name for p in removed) or 'nothing (already clean)'}")


def start_suite(supervisor: Supervisor, log_dir: Path, ports: dict[str, int], env: dict[str, str]) -> Suite:
    suite = Suite(log_dir=log_dir, env=env, ports=ports)
    supervisor.on_exit("services", lambda: stop_services(suite))
    suite.start()
    return suite


def stop_services(suite: Suite, timeout: float = 15) -> None:
    """SIGTERM all at once (each drains and closes its consumers), SIGKILL what is left after ``timeout``."""
    running = [p.process for p in suite.processes.values() if p.alive() and p.process is not None]
    processes.terminate([process.pid for process in running], timeout)
    for process in running:
        process.wait(5)  # reap


def watch(suite: Suite, say: Callable[[str], None]) -> int:
    """Block until interrupted (KeyboardInterrupt propagates) or until a service dies (returns 1)."""
    while True:
        for name, proc in suite.processes.items():
            if not proc.alive():
                say(f"{name} exited unexpectedly; last lines of {proc.log_path}:\n{proc.log_tail()}")
                return 1
        time.sleep(0.5)
