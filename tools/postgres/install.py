"""Where Debian's PostgreSQL server binaries are, installing the ``postgresql`` package if needed.

Guarantee: :func:`ensure_installed` returns a directory holding ``initdb``, ``pg_ctl`` and
``postgres``, or raises saying which command installs them (it runs ``apt-get`` itself only as
root). Debian puts each major version in ``/usr/lib/postgresql/<major>/bin``; the newest wins.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with the server binaries, else None."""
    found = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if all((d / b).is_file() for b in SERVER_BINARIES)]
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else -1, default=None)


def ensure_installed(quiet: bool = False) -> Path:
    """The server bindir, after ``apt-get install postgresql`` when it is missing and we are root."""
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under "
                           "/usr/lib/postgresql/*/bin; install them as root: apt-get install -y postgresql")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        if not quiet:
            print(f"[postgres] running {' '.join(command)}", file=sys.stderr, flush=True)
        proc = subprocess.run(command, env=env, text=True, check=False, capture_output=quiet,
                              stdout=None if quiet else sys.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed with exit code {proc.returncode}\n"
                               + "\n".join((proc.stdout or "").splitlines()[-30:]))
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("apt-get installed `postgresql` but /usr/lib/postgresql/*/bin has no server binaries")
    return bindir


@functools.cache
def server_bindir() -> Path:
    """find_bindir(), remembered once found (a miss raises and is not remembered)."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (run `python -m tools.postgres ensure-installed`)")
    return bindir
