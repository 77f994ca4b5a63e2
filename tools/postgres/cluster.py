"""A throwaway PostgreSQL cluster from Debian's server packages, for tests and tooling.

Guarantee: :func:`start_throwaway` returns a cluster that accepts connections on a free
loopback port, in a fresh ``hadir-pg-*`` directory that :meth:`LocalPostgres.destroy` removes
again (and only a directory it marked); durability is real (fsync, synchronous commit).

The work is done by PostgreSQL's own tools: ``initdb`` (UTF-8, trust auth, user ``postgres``),
``pg_ctl start -w -o <server options>`` (the settings are server options, which pg_ctl records
in ``postmaster.opts``, so nothing edits postgresql.conf), ``pg_ctl stop -m``, ``pg_isready`` and
``createdb``. As root every server binary runs as the ``postgres`` user (``runuser``), since
PostgreSQL refuses root.

Layout::

    hadir-pg-XXXX/               mode 0755, owned by the server user
        .hadir-postgres-local    marker: destroy() only removes marked dirs
        pgdata/                  PGDATA (postmaster.opts holds the port)
        postgres.log             server log
        .s.PGSQL.<port>          unix socket
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import quote

from tools import processes
from tools.ports import free_port
from tools.postgres.install import ensure_installed, find_bindir, server_bindir

__all__ = ["LocalPostgres", "create_cluster", "ensure_installed", "find_bindir", "start_throwaway"]

SERVER_USER = "postgres"
MARKER = ".hadir-postgres-local"
START_TIMEOUT = 30
MAX_SOCKET_DIR_LEN = 107 - len("/.s.PGSQL.65535")  # sun_path is 108 bytes on Linux
SETTINGS = {  # beyond the defaults (fsync, synchronous_commit and full_page_writes stay on)
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "log_line_prefix": "%m [%p] %q%u@%d ",
}


def _env() -> dict[str, str]:
    """No stray PG* variables from the caller; messages in English."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PG")}, "LC_ALL": "C"}


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _run_server_cmd(cmd: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a server binary (as the server user when root); raise with its output on failure."""
    proc = subprocess.run(_as_server_user(cmd), cwd=cwd, env=_env(), text=True, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n"
                           f"{proc.stdout}{proc.stderr}".rstrip())
    return proc


@dataclass
class LocalPostgres:
    """Handle on one local cluster; a context manager that destroys it on exit."""

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = "postgres"

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def bindir(self) -> Path:
        return server_bindir()

    @classmethod
    def attach(cls, data_dir: Path | str, port: int | None = None) -> Self:
        """Handle on an existing cluster directory; the port is the one it last started on."""
        data_dir = Path(data_dir).resolve()
        if port is None:
            with_port = re.search(r'"-p" "(\d+)"', _read(data_dir / "pgdata" / "postmaster.opts"))
            if with_port is None:
                raise RuntimeError(f"{data_dir} is not a cluster started by tools.postgres (no postmaster.opts)")
            port = int(with_port.group(1))
        return cls(data_dir=data_dir, port=port)

    # -- databases ------------------------------------------------------------

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        """SQLAlchemy URL, e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5433/postgres``."""
        return f"{driver}://{quote(self.user, safe='')}@{self.host}:{self.port}/{quote(database, safe='')}"

    def _client(self, program: str) -> list[str]:
        return [str(self.bindir / program), "-h", self.host, "-p", str(self.port), "-U", self.user]

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql (on stdin, stopping at the first error); return its output."""
        proc = subprocess.run([*self._client("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database],
                              input=sql, text=True, capture_output=True, env=_env(), timeout=60, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout

    def create_database(self, name: str) -> str:
        """``createdb name`` unless it exists (also when a concurrent creator wins); return its URL."""
        proc = subprocess.run([*self._client("createdb"), "--", name], text=True, capture_output=True, env=_env(),
                              timeout=60, check=False)
        if proc.returncode != 0 and "already exists" not in proc.stderr:
            raise RuntimeError(f"createdb {name!r} failed: {proc.stderr.strip()}")
        return self.url(name)

    # -- lifecycle ------------------------------------------------------------

    def postmaster_pid(self) -> int | None:
        """Pid of the running postmaster (from postmaster.pid), None when down, dead or a zombie."""
        first_line = _read(self.pgdata / "postmaster.pid").split("\n", 1)[0]
        pid = int(first_line) if first_line.isdigit() else None
        return pid if pid is not None and processes.alive(pid) else None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    def start(self) -> None:
        """(Re)start the cluster on ``self.port`` and wait until it accepts connections."""
        if not self.is_running():
            self._remove_stale_locks()
            command = [str(self.bindir / "pg_ctl"), "start", "-D", str(self.pgdata), "-l", str(self.log_file),
                       "-w", "-t", str(START_TIMEOUT), "-o", self._server_options()]
            try:
                _run_server_cmd(command, cwd=self.data_dir, timeout=START_TIMEOUT + 15)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                raise RuntimeError(f"PostgreSQL did not start on port {self.port}: {exc}\n"
                                   f"--- {self.log_file} (tail) ---\n{processes.tail(self.log_file)}") from None
        self.wait_ready()

    def _server_options(self) -> str:
        socket_dir = str(self.data_dir) if len(str(self.data_dir)) <= MAX_SOCKET_DIR_LEN else ""  # else TCP only
        options = ["-p", str(self.port), "-k", socket_dir]
        options += [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
        return shlex.join(options)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll ``pg_isready`` over TCP until the server accepts connections."""
        deadline = time.monotonic() + timeout
        probe = [*self._client("pg_isready"), "-q", "-d", "postgres", "-t", "2"]
        while subprocess.run(probe, env=_env(), capture_output=True, check=False).returncode != 0:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"PostgreSQL on {self.host}:{self.port} not accepting connections after "
                                   f"{timeout:.0f}s\n--- {self.log_file} (tail) ---\n{processes.tail(self.log_file)}")
            time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m <mode>`` (smart, fast or immediate); no-op when not running."""
        if self.is_running():
            _run_server_cmd([str(self.bindir / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", mode, "-w",
                             "-t", "60"], cwd=self.data_dir, timeout=75)

    def restart(self, mode: str = "fast", downtime: float = 0.0) -> None:
        """Stop, stay down for ``downtime`` seconds, start again (same port and data)."""
        self.stop(mode)
        time.sleep(downtime)
        self.start()

    def kill(self) -> None:
        """SIGKILL the postmaster (a crash: the next start runs crash recovery), then wait for its
        orphaned backends, which hold the shared memory a new postmaster needs."""
        pid = self.postmaster_pid()
        if pid is not None:
            orphans = processes.children(pid)
            processes.kill(pid)
            processes.terminate(orphans, timeout=10)

    def destroy(self) -> None:
        """Stop the server if it runs and delete ``data_dir``; refuses a directory it did not mark."""
        if self.is_running():
            try:
                self.stop("fast")
            except (RuntimeError, subprocess.TimeoutExpired):
                self.kill()
        if not self.data_dir.exists():
            return
        if not (self.data_dir / MARKER).exists():
            raise RuntimeError(f"refusing to delete {self.data_dir}: it has no {MARKER} marker")
        shutil.rmtree(self.data_dir)

    def _remove_stale_locks(self) -> None:
        """A SIGKILLed postmaster that is never reaped (pid 1 of some containers) stays a zombie that
        PostgreSQL takes for alive: its postmaster.pid and socket lock would block a restart."""
        for lock in [self.pgdata / "postmaster.pid", *self.data_dir.glob(".s.PGSQL.*.lock")]:
            first_line = _read(lock).split("\n", 1)[0]
            if first_line.isdigit() and not processes.alive(int(first_line)):
                lock.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _initdb(pg: LocalPostgres, bindir: Path) -> None:
    """Mark ``pg.data_dir``, hand it to the server user (mode 0755), initdb into pgdata/."""
    (pg.data_dir / MARKER).write_text("throwaway PostgreSQL cluster; safe to delete\n")
    pg.data_dir.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(pg.data_dir, SERVER_USER, SERVER_USER)
        shutil.chown(pg.data_dir / MARKER, SERVER_USER, SERVER_USER)
        if subprocess.run(_as_server_user(["test", "-w", str(pg.data_dir)]), cwd="/", check=False).returncode:
            raise RuntimeError(f"user {SERVER_USER!r} cannot write {pg.data_dir}: some parent directory is not "
                               "traversable for it (mode 0700?). Use a base_dir such as /tmp.")
    _run_server_cmd([str(bindir / "initdb"), "-D", str(pg.pgdata), "--encoding=UTF8", "--locale=C.UTF-8",
                     "--auth=trust", f"--username={pg.user}", "--no-instructions"], cwd=pg.data_dir)


def create_cluster(data_dir: Path, port: int | None = None, quiet: bool = False) -> LocalPostgres:
    """initdb into ``data_dir`` (empty or missing) and start it; on failure kill it and remove the dir.

    A kernel-chosen port can be taken before the server binds it: then up to two other ports are tried."""
    bindir = ensure_installed(quiet=quiet)
    pg = LocalPostgres(data_dir=Path(data_dir).resolve(), port=port or free_port())
    pg.data_dir.mkdir(parents=True, exist_ok=True)
    if any(pg.data_dir.iterdir()):
        raise RuntimeError(f"{pg.data_dir} is not empty")
    try:
        _initdb(pg, bindir)
        for attempt in range(3 if port is None else 1):
            try:
                pg.start()
                break
            except RuntimeError as exc:
                if attempt == 2 or port is not None or "already in use" not in str(exc):
                    raise
                pg.port = free_port()
    except BaseException:
        pg.kill()
        shutil.rmtree(pg.data_dir, ignore_errors=True)
        raise
    return pg


def start_throwaway(port: int | None = None, base_dir: Path | None = None) -> LocalPostgres:
    """A fresh cluster in a new ``hadir-pg-*`` directory under ``base_dir`` (default: the temp dir);
    returns once it accepts connections. The directory is removed again if anything fails."""
    data_dir = Path(tempfile.mkdtemp(prefix="hadir-pg-", dir=base_dir))
    try:
        return create_cluster(data_dir, port=port, quiet=True)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
