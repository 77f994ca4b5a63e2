"""A throwaway PostgreSQL cluster built from Debian's packages, for tests and tooling.

No Docker needed: ``start_throwaway()`` runs ``initdb`` into a fresh temporary
directory, starts the server on a free loopback port and returns a
:class:`LocalPostgres` handle that can stop, restart, crash (SIGKILL) and
destroy it.

Directory layout of one cluster (``LocalPostgres.data_dir``)::

    /tmp/hadir-pg-XXXX/          mode 0755, owned by the server user
        .hadir-postgres-local    marker: destroy() only removes marked dirs
        pgdata/                  the real PGDATA (initdb insists on 0700)
        postgres.log             server log (pg_ctl -l)
        .s.PGSQL.<port>          unix socket

PostgreSQL refuses to run as root.  When this process is root, every server
binary (initdb, pg_ctl, postgres) runs as the ``postgres`` system user through
``runuser`` (or ``setpriv``), and the directory is chowned to that user.

Command line::

    python -m services.devtools.postgres_local ensure-installed
    python -m services.devtools.postgres_local start [--dir DIR] [--port N]
    python -m services.devtools.postgres_local stop --dir DIR [--keep]
    python -m services.devtools.postgres_local self-check

``start`` prints the SQLAlchemy URL on stdout (progress and the data dir go to
stderr) and leaves the server running; ``stop`` stops it and removes DIR.

Only the standard library is used; asyncpg is imported inside the optional
``self-check`` command.
"""

from __future__ import annotations

import argparse
import functools
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import quote

from services.devtools.ports import free_port

SERVER_USER = "postgres"
MARKER = ".hadir-postgres-local"
PGDATA_NAME = "pgdata"
LOG_NAME = "postgres.log"
SETTINGS_NAME = "hadir.conf"
START_TIMEOUT = 30.0
# sun_path is 108 bytes on Linux; the socket file name adds "/.s.PGSQL.NNNNN".
MAX_SOCKET_DIR_LEN = 107 - len("/.s.PGSQL.65535")


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def _log(message: str, quiet: bool = False) -> None:
    """Write a progress message to stderr (never stdout: that is for results)."""
    if not quiet:
        print(f"[postgres_local] {message}", file=sys.stderr, flush=True)


def _is_root() -> bool:
    """True when running with effective uid 0."""
    return os.geteuid() == 0


def _clean_env() -> dict[str, str]:
    """Environment for child processes: no stray PG* variables, C messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    return env


def _tail(path: Path, lines: int = 40) -> str:
    """Last lines of a text file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------
# installation
# --------------------------------------------------------------------------


def _has_server_binaries(bindir: Path) -> bool:
    """True when ``bindir`` holds initdb, pg_ctl and postgres."""
    return all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version_key(path: Path) -> tuple:
    """Sort key for /usr/lib/postgresql/<version>: numeric where possible."""
    name = path.parent.name
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.]", name))


def find_bindir() -> Path | None:
    """Directory with initdb/pg_ctl/postgres, or None.

    ``pg_config --bindir`` wins when it holds initdb (it may not: libpq-dev
    ships pg_config without a server); otherwise the newest
    ``/usr/lib/postgresql/*/bin`` that does.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"],
                check=False,
                capture_output=True,
                text=True,
                timeout=10,
                env=_clean_env(),
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_server_binaries(Path(out)):
            return Path(out)
    candidates = [
        p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_server_binaries(p)
    ]
    if candidates:
        return max(candidates, key=_version_key)
    return None


def ensure_installed(quiet: bool = False) -> Path:
    """Return the server bindir, installing Debian's ``postgresql`` if needed.

    Installing needs root and apt-get; otherwise a RuntimeError explains what
    to do.  ``quiet`` hides apt's output (it is shown on failure).
    """
    bindir = find_bindir()
    if bindir:
        return bindir
    if not _is_root() or not shutil.which("apt-get"):
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: no "
            "`pg_config --bindir` with initdb and no /usr/lib/postgresql/*/bin. "
            "Install them as root, e.g. `apt-get install -y postgresql` on Debian"
            + ("" if shutil.which("apt-get") else " (apt-get is not available here)")
            + "."
        )
    env = _clean_env()
    env["DEBIAN_FRONTEND"] = "noninteractive"
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        _log(f"running {' '.join(cmd)}", quiet)
        proc = subprocess.run(
            cmd,
            env=env,
            text=True,
            check=False,
            stdout=subprocess.PIPE if quiet else sys.stderr,
            stderr=subprocess.STDOUT if quiet else sys.stderr,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout or "").splitlines()[-30:])
            raise RuntimeError(
                f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n{tail}"
            )
    bindir = find_bindir()
    if not bindir:
        raise RuntimeError(
            "apt-get installed `postgresql` but no server bindir was found afterwards"
        )
    _log(f"PostgreSQL server binaries in {bindir}", quiet)
    return bindir


@functools.lru_cache(maxsize=1)
def _server_bindir() -> Path:
    """find_bindir(), remembered once found (failures are not cached)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found (run ensure_installed())"
        )
    return bindir


# --------------------------------------------------------------------------
# running as the server user
# --------------------------------------------------------------------------


def _ensure_server_user() -> pwd.struct_passwd:
    """The ``postgres`` system user (created when missing; root only)."""
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pass
    _log(f"creating system user {SERVER_USER!r}")
    subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--home-dir",
            "/var/lib/postgresql",
            "--no-create-home",
            "--shell",
            "/bin/sh",
            SERVER_USER,
        ],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(SERVER_USER)


def _as_server_user(cmd: list[str]) -> list[str]:
    """Prefix ``cmd`` so that it runs as the postgres user when we are root."""
    if not _is_root():
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *cmd]
    if shutil.which("setpriv"):
        return [
            "setpriv",
            f"--reuid={SERVER_USER}",
            f"--regid={SERVER_USER}",
            "--init-groups",
            "--",
            *cmd,
        ]
    raise RuntimeError("running as root but neither runuser nor setpriv is available")


def _run_server_cmd(
    cmd: list[str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run a server binary (as the postgres user if root); raise with output on failure."""
    proc = subprocess.run(
        _as_server_user(cmd),
        cwd=cwd,
        env=_clean_env(),
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode}\n"
            f"{proc.stdout}{proc.stderr}".rstrip()
        )
    return proc


def _give_to_server_user(path: Path) -> None:
    """chown ``path`` to the postgres user (no-op unless root)."""
    if _is_root():
        user = _ensure_server_user()
        os.chown(path, user.pw_uid, user.pw_gid)


def _check_reachable(data_dir: Path) -> None:
    """Fail clearly when the postgres user cannot write ``data_dir``
    (typically a parent directory is mode 0700, like pytest's tmp_path)."""
    if not _is_root():
        return
    proc = subprocess.run(
        _as_server_user(["test", "-w", str(data_dir)]),
        cwd="/",
        check=False,
        capture_output=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"user {SERVER_USER!r} cannot write {data_dir}: some parent directory is not "
            "traversable for it (mode 0700?). Use a base_dir such as /tmp."
        )


# --------------------------------------------------------------------------
# process inspection (pid 1 may never reap zombies, so a SIGKILLed postmaster
# can stay a zombie that still "exists" for kill(pid, 0))
# --------------------------------------------------------------------------


def _proc_state(pid: int) -> str | None:
    """Linux process state letter (R, S, Z, ...) or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of ``pids`` is alive; return the ones still alive."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if _alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)


# --------------------------------------------------------------------------
# the cluster handle
# --------------------------------------------------------------------------


@dataclass
class LocalPostgres:
    """Handle on one local cluster; see the module docstring for the layout.

    Also a context manager: ``with start_throwaway() as pg: ...`` destroys
    the cluster on exit.
    """

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = "postgres"

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)

    # -- paths -------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        """The real PGDATA directory (``data_dir/pgdata``)."""
        return self.data_dir / PGDATA_NAME

    @property
    def log_file(self) -> Path:
        """The server log file."""
        return self.data_dir / LOG_NAME

    @property
    def bindir(self) -> Path:
        """Server binaries (initdb, pg_ctl, postgres, psql)."""
        return _server_bindir()

    @classmethod
    def attach(cls, data_dir: Path | str, port: int | None = None) -> Self:
        """Handle on an existing cluster directory; the port is read from its settings."""
        data_dir = Path(data_dir).resolve()
        if port is None:
            port = _read_port(data_dir / PGDATA_NAME / SETTINGS_NAME)
        if port is None:
            raise RuntimeError(
                f"{data_dir} is not a cluster made by postgres_local (no {SETTINGS_NAME})"
            )
        return cls(data_dir=data_dir, port=port)

    # -- urls and databases ------------------------------------------------

    def url(
        self, database: str = "postgres", driver: str = "postgresql+asyncpg"
    ) -> str:
        """SQLAlchemy URL, e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5433/postgres``."""
        user, database = quote(self.user, safe=""), quote(database, safe="")
        return f"{driver}://{user}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through psql (fed on stdin, so psql variables and \\gexec work)."""
        cmd = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            database,
        ]
        env = _clean_env()
        env["PGCONNECT_TIMEOUT"] = "10"
        proc = subprocess.run(
            cmd,
            input=sql,
            text=True,
            check=False,
            capture_output=True,
            env=env,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name`` unless it exists; return ``url(name)``."""
        sql = (
            f"\\set dbname '{name.replace(chr(39), chr(39) * 2)}'\n"
            "SELECT format('CREATE DATABASE %I', :'dbname')\n"
            " WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \\gexec\n"
        )
        try:
            self.psql(sql)
        except RuntimeError as exc:
            # "already exists" means we lost a race with a concurrent creator.
            if "already exists" not in str(exc):
                raise
        return self.url(name)

    # -- lifecycle ---------------------------------------------------------

    def postmaster_pid(self) -> int | None:
        """Pid of the running postmaster, or None (no pid file, dead or zombie)."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return None
        return pid if comm.startswith(("postgres", "postmaster")) else None

    def is_running(self) -> bool:
        """True when the postmaster of this cluster is alive."""
        return self.postmaster_pid() is not None

    def start(self) -> None:
        """(Re)start the initialized cluster and wait until it accepts connections."""
        if self.is_running():
            self.wait_ready()
            return
        self._remove_stale_locks()
        cmd = [
            str(self.bindir / "pg_ctl"),
            "start",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(int(START_TIMEOUT)),
            "-o",
            f"-p {int(self.port)}",
        ]
        try:
            _run_server_cmd(cmd, cwd=self.data_dir, timeout=START_TIMEOUT + 15)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(
                f"PostgreSQL did not start on port {self.port}: {exc}\n"
                f"--- {self.log_file} (tail) ---\n{_tail(self.log_file)}"
            ) from None
        self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll with pg_isready over TCP until the server accepts connections."""
        deadline = time.monotonic() + timeout
        cmd = [
            str(self.bindir / "pg_isready"),
            "-q",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            "postgres",
            "-t",
            "2",
        ]
        env = _clean_env()
        while True:
            probe = subprocess.run(cmd, env=env, check=False, capture_output=True)
            if probe.returncode == 0:
                return
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"PostgreSQL on {self.host}:{self.port} not accepting connections "
                    f"after {timeout:.0f}s\n--- {self.log_file} (tail) ---\n{_tail(self.log_file)}"
                )
            time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m <mode>`` (smart, fast or immediate); no-op when not running."""
        if not self.is_running():
            return
        cmd = [
            str(self.bindir / "pg_ctl"),
            "stop",
            "-D",
            str(self.pgdata),
            "-m",
            mode,
            "-w",
            "-t",
            "60",
        ]
        _run_server_cmd(cmd, cwd=self.data_dir, timeout=75)

    def restart(self, mode: str = "fast", downtime: float = 0.0) -> None:
        """Stop, stay down for ``downtime`` seconds, start again (same port and data)."""
        self.stop(mode)
        if downtime > 0:
            time.sleep(downtime)
        self.start()

    def kill(self) -> None:
        """SIGKILL the postmaster (crash simulation); a later start() runs crash recovery.

        Waits until the orphaned backends have exited too (they notice the
        postmaster's death), because a new postmaster refuses to start while
        they still hold the old shared memory.
        """
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        left = _wait_gone([pid, *children], timeout=10)
        for straggler in left:
            try:
                os.kill(straggler, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(left, timeout=5)

    def destroy(self) -> None:
        """Stop the server if running and delete ``data_dir`` entirely."""
        if self.is_running():
            try:
                self.stop("fast")
            except (RuntimeError, subprocess.TimeoutExpired):
                self.kill()
        if not self.data_dir.exists():
            return
        if not (self.data_dir / MARKER).exists():
            raise RuntimeError(
                f"refusing to delete {self.data_dir}: it has no {MARKER} marker"
            )
        shutil.rmtree(self.data_dir)

    def _remove_stale_locks(self) -> None:
        """Delete postmaster.pid and socket lock files whose process is gone or a zombie.

        PostgreSQL cleans up after dead processes itself, but a SIGKILLed
        postmaster whose zombie is never reaped (pid 1 in some containers
        does not reap) still "exists" for kill(pid, 0) and blocks a restart.
        """
        for lock in [
            self.pgdata / "postmaster.pid",
            *self.data_dir.glob(".s.PGSQL.*.lock"),
        ]:
            try:
                pid = int(lock.read_text().split("\n", 1)[0])
            except (OSError, ValueError):
                continue
            if not _alive(pid):
                lock.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.destroy()


# --------------------------------------------------------------------------
# creating a cluster
# --------------------------------------------------------------------------


def _read_port(settings: Path) -> int | None:
    """The last ``port = N`` in our settings file, or None."""
    try:
        text = settings.read_text()
    except OSError:
        return None
    ports = re.findall(r"^\s*port\s*=\s*(\d+)", text, flags=re.MULTILINE)
    return int(ports[-1]) if ports else None


def _utf8_locale() -> str:
    """``C.UTF-8`` when the system has it (Debian does), else plain ``C``."""
    try:
        out = subprocess.run(
            ["locale", "-a"], check=False, capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "C"
    names = {line.strip().lower().replace("-", "") for line in out.splitlines()}
    return "C.UTF-8" if "c.utf8" in names else "C"


def _settings(data_dir: Path, port: int) -> str:
    """postgresql.conf additions for a test box (durability stays real)."""
    socket_dir = str(data_dir)
    if len(socket_dir) > MAX_SOCKET_DIR_LEN:  # a unix socket path would not fit
        _log(f"{socket_dir} is too long for a unix socket; serving TCP only")
        socket_dir = ""
    return "\n".join(
        [
            "# written by services/devtools/postgres_local.py",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            "max_connections = 300",
            "shared_buffers = 128MB",
            "fsync = on",
            "synchronous_commit = on",
            "full_page_writes = on",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "log_line_prefix = '%m [%p] %q%u@%d '",
            "",
        ]
    )


def _write_settings(pg: LocalPostgres) -> None:
    """(Re)write ``pgdata/hadir.conf`` for ``pg.port`` and include it from postgresql.conf."""
    settings = pg.pgdata / SETTINGS_NAME
    settings.write_text(_settings(pg.data_dir, pg.port))
    _give_to_server_user(settings)
    conf = pg.pgdata / "postgresql.conf"
    include = f"include = '{SETTINGS_NAME}'\n"
    if include not in conf.read_text():
        with conf.open("a") as fh:
            fh.write("\n" + include)


def _initdb(pg: LocalPostgres, bindir: Path) -> None:
    """Mark and hand over ``pg.data_dir`` (0755, server user), then initdb into pgdata/."""
    marker = pg.data_dir / MARKER
    marker.write_text("throwaway PostgreSQL cluster; safe to delete\n")
    _give_to_server_user(marker)
    pg.data_dir.chmod(0o755)
    _give_to_server_user(pg.data_dir)
    _check_reachable(pg.data_dir)
    initdb = [str(bindir / "initdb"), "-D", str(pg.pgdata), "--encoding=UTF8"]
    initdb += [f"--locale={_utf8_locale()}", "--auth=trust", f"--username={pg.user}"]
    _run_server_cmd(initdb, cwd=pg.data_dir)
    _write_settings(pg)


def _start_with_port_retry(pg: LocalPostgres, retries: int, quiet: bool) -> None:
    """start(); when the port was taken meanwhile, move to another free port."""
    for attempt in range(retries + 1):
        try:
            pg.start()
            return
        except RuntimeError as exc:
            if attempt == retries or "already in use" not in str(exc):
                raise
            pg.port = free_port()
            _log(f"port taken, retrying on {pg.port}", quiet)
            _write_settings(pg)


def create_cluster(
    data_dir: Path, port: int | None = None, quiet: bool = False
) -> LocalPostgres:
    """initdb into ``data_dir`` (empty or missing) and start it; see start_throwaway().

    On failure the server is killed and ``data_dir`` removed again.
    """
    bindir = ensure_installed(quiet=quiet)
    pg = LocalPostgres(data_dir=Path(data_dir).resolve(), port=port or free_port())
    pg.data_dir.mkdir(parents=True, exist_ok=True)
    if any(pg.data_dir.iterdir()):
        raise RuntimeError(f"{pg.data_dir} is not empty")
    try:
        _initdb(pg, bindir)
        # A kernel-chosen port can be taken by someone else before we bind it.
        _start_with_port_retry(pg, retries=0 if port else 2, quiet=quiet)
    except BaseException:
        pg.kill()
        shutil.rmtree(pg.data_dir, ignore_errors=True)
        raise
    _log(f"PostgreSQL ready at {pg.host}:{pg.port}, data in {pg.data_dir}", quiet)
    return pg


def start_throwaway(
    port: int | None = None, base_dir: Path | None = None
) -> LocalPostgres:
    """Fresh cluster in a new ``hadir-pg-*`` dir under ``base_dir`` (default: the temp dir).

    UTF8, trust auth for loopback/socket only, user ``postgres``, a free
    loopback port unless ``port`` is given; returns once it accepts
    connections.  The directory is removed again if anything fails.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="hadir-pg-", dir=base_dir))
    try:
        return create_cluster(data_dir, port=port, quiet=True)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def _cli_start(args: argparse.Namespace) -> None:
    """Start a cluster (new, or existing in --dir) and print its URL."""
    if args.dir and (Path(args.dir) / PGDATA_NAME / "PG_VERSION").exists():
        pg = LocalPostgres.attach(args.dir, port=args.port)
        if args.port:
            _write_settings(pg)
        pg.start()
    elif args.dir:
        pg = create_cluster(Path(args.dir), port=args.port)
    else:
        ensure_installed()  # not quiet: show apt's progress if it has to install
        pg = start_throwaway(port=args.port)
    _log(f"data dir: {pg.data_dir}")
    _log(
        f"stop with: python -m services.devtools.postgres_local stop --dir {pg.data_dir}"
    )
    print(pg.url(), flush=True)


def _cli_stop(args: argparse.Namespace) -> None:
    """Stop the cluster in --dir and (unless --keep) remove the directory."""
    pg = LocalPostgres.attach(args.dir)
    if args.keep:
        pg.stop()
        _log(f"stopped {pg.data_dir}")
    else:
        pg.destroy()
        _log(f"stopped and removed {pg.data_dir}")


def _cli_self_check(_args: argparse.Namespace) -> None:
    """Start a throwaway cluster, round-trip a row through asyncpg, destroy it."""
    import asyncio

    import asyncpg  # type: ignore[import-untyped]  # only needed here

    async def roundtrip(dsn: str) -> int:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE t (x int)")
            await conn.execute("INSERT INTO t VALUES (42)")
            return await conn.fetchval("SELECT x FROM t")
        finally:
            await conn.close()

    started = time.monotonic()
    with start_throwaway() as pg:
        _log(f"started in {time.monotonic() - started:.2f}s at {pg.url()}")
        dsn = pg.create_database("self_check").replace("+asyncpg", "")
        assert asyncio.run(roundtrip(dsn)) == 42
    _log("self-check ok")


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m services.devtools.postgres_local``."""
    parser = argparse.ArgumentParser(
        prog="python -m services.devtools.postgres_local",
        description="Throwaway PostgreSQL cluster from Debian's packages.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "ensure-installed",
        help="find (or apt-get install) the server binaries; print the bindir",
    )
    start = sub.add_parser("start", help="start a cluster and print its SQLAlchemy URL")
    start.add_argument(
        "--dir",
        help="cluster directory (created if missing); default: a new /tmp/hadir-pg-*",
    )
    start.add_argument(
        "--port", type=int, help="TCP port on 127.0.0.1; default: a free one"
    )
    stop = sub.add_parser(
        "stop", help="stop the cluster in --dir and remove the directory"
    )
    stop.add_argument("--dir", required=True)
    stop.add_argument(
        "--keep", action="store_true", help="only stop, keep the directory"
    )
    sub.add_parser("self-check", help="start, round-trip a row with asyncpg, destroy")
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure-installed":
            print(ensure_installed())
        elif args.command == "start":
            _cli_start(args)
        elif args.command == "stop":
            _cli_stop(args)
        else:
            _cli_self_check(args)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
