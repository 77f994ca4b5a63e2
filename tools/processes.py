"""Process helpers shared by the local Kafka and PostgreSQL launchers and the suite runner.

Guarantee: a process counts as alive only while it exists and is not a zombie (pid 1 in a
container may never reap a SIGKILLed server, which then still "exists" for ``kill(pid, 0)``);
children started through :func:`spawn` are reaped by this process; :func:`terminate` returns
only once every pid has exited (SIGTERM, then SIGKILL after the grace period).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

# Popen objects of the children this process started: polling them reaps those that exited.
_spawned: dict[int, subprocess.Popen[bytes]] = {}


def spawn(command: Sequence[str], cwd: Path, log_path: Path) -> int:
    """Start ``command`` detached (own session, stdin closed, output appended to ``log_path``)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    _spawned[proc.pid] = proc
    return proc.pid


def state(pid: int) -> str | None:
    """Linux process state letter (R, S, Z, …), or None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """``pid`` exists and is not a zombie (our own exited children are reaped on the way)."""
    child = _spawned.get(pid)
    if child is not None and child.poll() is not None:
        del _spawned[pid]
        return False
    return state(pid) not in (None, "Z", "X")


def command_line(pid: int) -> list[str]:
    """The arguments ``pid`` was started with ([] when unreadable or while it re-executes itself)."""
    try:
        return [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def send(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until none of ``pids`` is alive; return those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def terminate(pids: Sequence[int], timeout: float = 30) -> list[int]:
    """SIGTERM ``pids`` together, SIGKILL those left after ``timeout``; return the ones killed."""
    send(pids, signal.SIGTERM)
    survivors = wait_gone(pids, timeout)
    if survivors:
        send(survivors, signal.SIGKILL)
        wait_gone(survivors, 10)
    return survivors


def kill(pid: int, timeout: float = 10) -> None:
    """SIGKILL ``pid`` (a crash) and wait until it is gone."""
    send([pid], signal.SIGKILL)
    wait_gone([pid], timeout)


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` of a text file, or a note saying it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc.strerror})"
    return "\n".join(text.rstrip().splitlines()[-lines:])
