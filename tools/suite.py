"""Run the four services as child processes (``python -m services.<name>``).

Used by ``hadir run``, the end-to-end tests, chaos and the benchmarks, so all of them exercise
the processes a deployment runs. Guarantee: a service counts as ready only once its ``/readyz``
answered 200, and a service that exits during startup fails the wait at once, with its log tail.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.runtime.settings import REPO_ROOT
from tools import processes

PORTS = {"checkin": 8001, "policy": 8002, "notify": 8003, "reporting": 8004}


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (the service drains and closes its consumers), SIGKILL after ``timeout``."""
        if self.alive() and self.process is not None:
            processes.terminate([self.process.pid], timeout)
            self.process.wait(5)  # reap

    def kill(self) -> None:
        """SIGKILL: a crash, for fault tests."""
        if self.alive() and self.process is not None:
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        return processes.tail(self.log_path, lines)


@dataclass
class Suite:
    """The four services with a shared environment and per-service overrides."""

    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=lambda: dict(PORTS))
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    names: tuple[str, ...] = tuple(PORTS)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes = {}
        for name in self.names:
            env = {**os.environ, **self.env, **self.service_env.get(name, {}),
                   "HADIR_PORT": str(self.ports[name]), "PYTHONUNBUFFERED": "1"}
            self.processes[name] = ServiceProcess(name, self.ports[name], self.log_dir / f"{name}.log", env)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]

    def start(self) -> None:
        for proc in self.processes.values():
            proc.start()

    def wait_ready(self, timeout: float = 120, names: tuple[str, ...] | None = None,
                   say: Callable[[str], None] | None = None) -> float:
        """Poll every ``/readyz`` until all answer 200; return the seconds it took. ``say`` hears
        each service that becomes ready and, every 5 s, which are still awaited."""
        started = time.monotonic()
        pending = set(names or self.processes)
        next_report = started + 3
        with httpx.Client(timeout=2) as client:
            while pending:
                for name in sorted(pending):
                    proc = self.processes[name]
                    if not proc.alive():
                        raise RuntimeError(f"{name} exited during startup; last lines of {proc.log_path}:\n"
                                           f"{proc.log_tail()}")
                    with contextlib.suppress(httpx.HTTPError):
                        if client.get(f"{proc.url}/readyz").status_code == 200:
                            pending.discard(name)
                            if say:
                                say(f"{name} ready on {proc.url} ({time.monotonic() - started:.1f}s)")
                now = time.monotonic()
                if pending and now - started > timeout:
                    tails = "\n\n".join(f"--- {n} ---\n{self.processes[n].log_tail()}" for n in sorted(pending))
                    raise TimeoutError(f"not ready after {timeout:.0f} s: {sorted(pending)}; logs in "
                                       f"{self.log_dir}\n{tails}")
                if pending and say and now >= next_report:
                    say(f"waiting for {', '.join(sorted(pending))} /readyz ... ({now - started:.0f}s)")
                    next_report = now + 5
                if pending:
                    time.sleep(0.25)
        return time.monotonic() - started

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.stop()
