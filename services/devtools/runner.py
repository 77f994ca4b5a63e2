"""The moving parts behind ``hadir run`` and ``hadir services``: a Kafka broker, the four
service processes, readiness with progress, supervision and a clean, quick shutdown.

:class:`Supervisor` remembers everything a command started and stops it in reverse
order on Ctrl-C (SIGINT), SIGTERM, an error or a crashed service; things that were
already running (a broker someone else started) are used and left alone.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from services.devtools import docker_kafka, kafka_config, kafka_local
from services.devtools.ports import port_free
from services.devtools.suite import PORTS, Suite

SERVICES = tuple(PORTS)  # checkin, policy, notify, reporting
DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")


class RunError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


class Console:
    """Progress lines with the seconds elapsed since the command started."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        print(f"[{self.elapsed():5.1f}s] {message}", flush=True)


# -------------------------------------------------------------------- supervision


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Supervisor:
    """Runs a command body; on the way out stops what it started, newest first."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def on_exit(self, what: str, stop: Callable[[], None]) -> None:
        self._stops.append((what, stop))

    def run(self, body: Callable[[], int]) -> int:
        # Ctrl-C and SIGTERM take the same path, also where SIGINT was inherited as ignored (`cmd &`).
        previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        code = 1
        try:
            code = body()
        except KeyboardInterrupt:
            print(flush=True)
            self.console.say("stopping / menghentikan ...")
            code = 0
        except (RuntimeError, ValueError, TimeoutError, OSError, httpx.HTTPError) as exc:
            self.console.say(f"error: {exc}" if isinstance(exc, RuntimeError) else f"error: {exc!r}")
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return code

    def _stop_all(self) -> None:
        """Stop in reverse order; further Ctrl-C/SIGTERM are ignored until done (each step is bounded)."""
        handlers = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while self._stops:
                what, stop = self._stops.pop()
                started = time.monotonic()
                try:
                    stop()
                except Exception as exc:  # noqa: BLE001 — keep stopping the rest
                    self.console.say(f"could not stop {what}: {exc!r}")
                else:
                    self.console.say(f"stopped {what} ({time.monotonic() - started:.1f}s)")
        finally:
            for s, handler in handlers.items():
                signal.signal(s, handler)


# ------------------------------------------------------------------------- Kafka


@dataclass
class KafkaHandle:
    bootstrap: str
    description: str
    stop: Callable[[], None] | None = None  # None: not started by us, left running


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


def ensure_kafka(port: int, data_dir: Path, say: Callable[[str], None]) -> KafkaHandle:
    """A broker on 127.0.0.1:<port>: the one already answering there, else the local one from Maven
    jars (Java 17+ and Maven), else the ``apache/kafka`` image when Docker answers."""
    bootstrap = f"127.0.0.1:{port}"
    if kafka_local.is_ready(bootstrap, timeout=3):
        return KafkaHandle(bootstrap, f"{bootstrap} (already running; left running)")
    why_not_local = local_kafka_unavailable()
    if why_not_local is None:
        already = kafka_local.attach(data_dir) is not None
        say(f"starting the local Kafka broker on {bootstrap} (data in {data_dir}) ...")
        cluster = kafka_local.start(data_dir, nodes=1, port=port)
        if already:
            return KafkaHandle(cluster.bootstrap, f"{cluster.bootstrap} (local broker started earlier; left running)")
        return KafkaHandle(cluster.bootstrap, f"{cluster.bootstrap} (local broker, data in {data_dir})", cluster.stop)
    if docker_kafka.docker_answers():
        say(f"{why_not_local}; starting Kafka from the {docker_kafka.IMAGE} image instead ...")
        container = docker_kafka.start(port)
        return KafkaHandle(container.bootstrap, f"{container.bootstrap} (Docker container {container.name})",
                           container.stop)
    raise RunError(
        f"no Kafka broker on {bootstrap} and none can be started here: {why_not_local}, and no Docker engine "
        "answers. Install Java 17+ and Maven (e.g. apt-get install openjdk-17-jre-headless maven), or start "
        "Docker, or start a broker yourself and pass --kafka-port."
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
    """The embedded default: SQLite files under ``var_dir``, this broker, the dev keys."""
    env = {
        "HADIR_VAR_DIR": str(var_dir),
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


def wait_ready(suite: Suite, say: Callable[[str], None], timeout: float = 120) -> float:
    """Poll every ``/readyz`` until all answer 200; say which are ready and what is still awaited."""
    started = time.monotonic()
    pending = set(suite.processes)
    next_report = started + 3
    with httpx.Client(timeout=2) as client:
        while pending:
            for name in sorted(pending):
                proc = suite[name]
                if not proc.alive():
                    raise RunError(f"{name} exited during startup; last lines of {proc.log_path}:\n{proc.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{proc.url}/readyz").status_code == 200:
                        pending.discard(name)
                        say(f"{name} ready on {proc.url} ({time.monotonic() - started:.1f}s)")
            now = time.monotonic()
            if pending and now - started > timeout:
                raise RunError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}; "
                               f"see the logs in {suite.log_dir}")
            if pending and now >= next_report:
                say(f"waiting for {', '.join(sorted(pending))} /readyz ... ({now - started:.0f}s)")
                next_report = now + 5
            if pending:
                time.sleep(0.25)
    return time.monotonic() - started


def stop_services(suite: Suite, timeout: float = 15) -> None:
    """SIGTERM all at once (each drains and closes its consumers), SIGKILL what is left after ``timeout``."""
    running = [p.process for p in suite.processes.values() if p.alive() and p.process is not None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def watch(suite: Suite, say: Callable[[str], None]) -> int:
    """Block until interrupted (KeyboardInterrupt propagates) or until a service dies (returns 1)."""
    while True:
        for name, proc in suite.processes.items():
            if not proc.alive():
                say(f"{name} exited unexpectedly; last lines of {proc.log_path}:\n{proc.log_tail()}")
                return 1
        time.sleep(0.5)


@contextlib.contextmanager
def unbuffered() -> Iterator[None]:
    """Line-buffered stdout, so progress shows up at once also when piped (``make run | tee``)."""
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    yield
