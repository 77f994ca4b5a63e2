"""Tests for tools/postgres/cluster.py against a real PostgreSQL server (no mocks)."""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.support import infra
from tools.ports import port_free as port_is_free
from tools.postgres import cluster as postgres_local
from tools.postgres.cluster import LocalPostgres, find_bindir, start_throwaway

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _server_binaries() -> None:
    """Without Debian's postgresql packages these tests cannot run: the run fails and says so."""
    if find_bindir() is None:
        infra.unavailable("PostgreSQL server binaries", "apt-get install postgresql (.ci/run does)")


def dsn(url: str) -> str:
    """asyncpg DSN from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def fetch(url: str, sql: str, *args):
    """Run one query on a fresh asyncpg connection and return all rows."""

    async def go():
        conn = await asyncpg.connect(dsn(url), timeout=10)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(go())


def execute(url: str, *statements: str) -> None:
    """Run statements (each auto-committed) on a fresh asyncpg connection."""

    async def go():
        conn = await asyncpg.connect(dsn(url), timeout=10)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(go())


@pytest.fixture(scope="module")
def cluster():
    """One throwaway cluster shared by the tests of this module.

    Used as a context manager, so it is always destroyed; teardown then
    checks that destroy() removed the directory and freed the port.
    """
    with start_throwaway() as server:
        yield server
    assert not server.data_dir.exists()
    assert port_is_free(server.port)
    server.destroy()  # a second destroy is a no-op


@pytest.fixture
def pg(cluster: LocalPostgres) -> LocalPostgres:
    """The shared cluster, running: a test that stopped or killed it never hands the next one a dead server."""
    cluster.start()  # already running: just waits until ready
    return cluster


@pytest.fixture
def db_url(pg: LocalPostgres) -> str:
    """A database of this test's own, holding one row in ``t``."""
    url = pg.create_database(f"hadir_test_{uuid.uuid4().hex[:8]}")
    execute(
        url,
        "CREATE TABLE t (id int PRIMARY KEY, note text)",
        "INSERT INTO t VALUES (1, 'first')",
    )
    return url


def test_find_bindir_and_ensure_installed_agree():
    bindir = find_bindir()
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()
    assert postgres_local.ensure_installed(quiet=True) == bindir


def test_url_and_layout(pg: LocalPostgres):
    assert pg.url() == f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/postgres"
    assert pg.url("x y", driver="postgresql") == f"postgresql://postgres@127.0.0.1:{pg.port}/x%20y"
    assert pg.data_dir.name.startswith("hadir-pg-")
    assert (pg.data_dir / "pgdata" / "PG_VERSION").is_file()
    assert pg.log_file.is_file() and pg.log_file.parent == pg.data_dir
    assert (pg.data_dir / f".s.PGSQL.{pg.port}").is_socket()
    if os.geteuid() == 0:
        assert pg.data_dir.stat().st_uid == pwd.getpwnam("postgres").pw_uid
        assert pg.data_dir.stat().st_mode & 0o777 == 0o755


def test_server_settings(pg: LocalPostgres):
    rows = fetch(
        pg.url(),
        "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
        [
            "fsync",
            "synchronous_commit",
            "max_connections",
            "shared_buffers",
            "listen_addresses",
            "server_encoding",
            "port",
        ],
    )
    settings = {r["name"]: r["setting"] for r in rows}
    assert settings == {
        "fsync": "on",
        "synchronous_commit": "on",
        "max_connections": "300",
        "shared_buffers": str(128 * 1024 // 8),  # in 8 kB pages
        "listen_addresses": "127.0.0.1",
        "server_encoding": "UTF8",
        "port": str(pg.port),
    }


def test_create_database_roundtrip(pg: LocalPostgres, db_url: str):
    name = db_url.rsplit("/", 1)[1]
    assert db_url == pg.url(name)
    assert pg.create_database(name) == db_url  # idempotent
    assert [tuple(r) for r in fetch(db_url, "SELECT id, note FROM t")] == [(1, "first")]
    odd = 'we\'ird "name"'
    fetch(pg.create_database(odd), "SELECT 1")
    assert fetch(pg.url(), "SELECT 1 FROM pg_database WHERE datname = $1", odd)


def test_restart_keeps_data_and_port(pg: LocalPostgres, db_url: str):
    port, pid = pg.port, pg.postmaster_pid()
    pg.restart(downtime=0.2)
    assert pg.port == port and pg.postmaster_pid() not in (None, pid)
    assert fetch(db_url, "SELECT note FROM t WHERE id = 1")[0]["note"] == "first"


def test_kill_then_start_recovers(pg: LocalPostgres, db_url: str):
    execute(db_url, "INSERT INTO t VALUES (2, 'committed before crash')")
    pid = pg.postmaster_pid()
    pg.kill()
    assert not pg.is_running()
    with pytest.raises((OSError, asyncpg.PostgresError)):
        fetch(db_url, "SELECT 1")
    pg.start()
    assert pg.postmaster_pid() not in (None, pid)
    assert [r["id"] for r in fetch(db_url, "SELECT id FROM t ORDER BY id")] == [1, 2]
    assert "automatic recovery in progress" in pg.log_file.read_text()


def test_stop_is_idempotent_and_start_again(pg: LocalPostgres, db_url: str):
    pg.stop()
    pg.stop()
    assert not pg.is_running()
    pg.start()
    pg.start()  # already running: just waits until ready
    assert [tuple(r) for r in fetch(db_url, "SELECT id, note FROM t")] == [(1, "first")]


def test_destroy_refuses_unmarked_dir(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(RuntimeError, match="refusing"):
        LocalPostgres(data_dir=tmp_path, port=1).destroy()
    assert (tmp_path / "keep.txt").exists()


def test_unreachable_base_dir_fails_clearly(tmp_path: Path):
    if os.geteuid() != 0:
        infra.unavailable("root", "only root hands the cluster to another user (CI runs as root)")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(RuntimeError, match="cannot write"):
        start_throwaway(base_dir=private)
    assert list(private.iterdir()) == []  # cleaned up


def test_cli_start_and_stop_frees_dir_and_port():
    """CLI start leaves a server running; CLI stop (destroy()) removes it all."""
    cmd = [sys.executable, "-m", "tools.postgres"]
    run = dict(cwd=REPO, check=False, capture_output=True, text=True, timeout=60)
    started = subprocess.run([*cmd, "start"], **run)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert re.fullmatch(r"postgresql\+asyncpg://postgres@127\.0\.0\.1:\d+/postgres", url)
    data_dir = Path(started.stderr.split("data dir: ", 1)[1].split("\n", 1)[0])
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        assert fetch(url, "SELECT 1 AS one")[0]["one"] == 1
        assert not port_is_free(port)
    finally:
        stopped = subprocess.run([*cmd, "stop", "--dir", str(data_dir)], **run)
        if stopped.returncode != 0:
            LocalPostgres.attach(data_dir).destroy()
    assert stopped.returncode == 0, stopped.stderr
    assert not data_dir.exists()
    assert port_is_free(port)
