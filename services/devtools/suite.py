"""Run the four services as child processes (``python -m services.<name>``).

Used by ``hadir run`` and by the end-to-end tests, so both exercise the same
processes a deployment runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.runtime.settings import REPO_ROOT

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
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: a crash, for fault tests."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


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

    def wait_ready(self, timeout: float = 120, names: tuple[str, ...] | None = None) -> float:
        """Wait until every ``/readyz`` answers 200; return the seconds it took."""
        started = time.monotonic()
        pending = set(names or self.processes)
        with httpx.Client(timeout=2) as client:
            while pending:
                for name in sorted(pending):
                    proc = self.processes[name]
                    if not proc.alive():
                        raise RuntimeError(f"{name} exited early:\n{proc.log_tail()}")
                    try:
                        if client.get(f"{proc.url}/readyz").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() - started > timeout:
                    tails = "\n\n".join(f"--- {n} ---\n{self.processes[n].log_tail()}" for n in sorted(pending))
                    raise TimeoutError(f"not ready after {timeout:.0f} s: {sorted(pending)}\n{tails}")
                if pending:
                    time.sleep(0.3)
        return time.monotonic() - started

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.stop()
