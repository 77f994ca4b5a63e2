"""``python -m tools.postgres``: a throwaway PostgreSQL cluster from the command line.

    python -m tools.postgres ensure-installed        print the server bindir (apt-get installs it as root)
    python -m tools.postgres start [--dir D] [--port N]
    python -m tools.postgres stop --dir D [--keep]
    python -m tools.postgres self-check              start, round-trip a row with asyncpg, destroy

``start`` prints the SQLAlchemy URL on stdout (progress and the data dir on stderr) and leaves the
server running; ``stop`` stops it and removes the directory. Exit status 1 on an error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tools.postgres.cluster import LocalPostgres, create_cluster, ensure_installed, start_throwaway


def _say(message: str) -> None:
    print(f"[postgres] {message}", file=sys.stderr, flush=True)


def _start(args: argparse.Namespace) -> None:
    """A cluster in --dir (created when new, restarted when it exists) or a new throwaway one."""
    if args.dir and (Path(args.dir) / "pgdata" / "PG_VERSION").exists():
        pg = LocalPostgres.attach(args.dir, port=args.port)
        pg.start()
    elif args.dir:
        pg = create_cluster(Path(args.dir), port=args.port)
    else:
        ensure_installed()  # not quiet: apt's progress shows if it has to install
        pg = start_throwaway(port=args.port)
    _say(f"PostgreSQL ready at {pg.host}:{pg.port}")
    _say(f"data dir: {pg.data_dir}")
    _say(f"stop with: python -m tools.postgres stop --dir {pg.data_dir}")
    print(pg.url(), flush=True)


def _stop(args: argparse.Namespace) -> None:
    pg = LocalPostgres.attach(args.dir)
    if args.keep:
        pg.stop()
    else:
        pg.destroy()
    _say(f"stopped{'' if args.keep else ' and removed'} {pg.data_dir}")


def _self_check(_: argparse.Namespace) -> None:
    import asyncpg  # type: ignore[import-untyped]  # only needed here

    async def roundtrip(dsn: str) -> int:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE t (x int)")
            await conn.execute("INSERT INTO t VALUES (42)")
            return await conn.fetchval("SELECT x FROM t")
        finally:
            await conn.close()

    with start_throwaway() as pg:
        if asyncio.run(roundtrip(pg.create_database("self_check").replace("+asyncpg", ""))) != 42:
            raise RuntimeError("the row did not come back")
    _say("self-check ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.postgres",
                                     description="Throwaway PostgreSQL cluster from Debian's packages.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ensure-installed", help="find (or apt-get install) the server binaries; print the bindir")
    start = sub.add_parser("start", help="start a cluster and print its SQLAlchemy URL")
    start.add_argument("--dir", help="cluster directory (created if missing); default: a new /tmp/hadir-pg-*")
    start.add_argument("--port", type=int, help="TCP port on 127.0.0.1; default: a free one")
    stop = sub.add_parser("stop", help="stop the cluster in --dir and remove the directory")
    stop.add_argument("--dir", required=True)
    stop.add_argument("--keep", action="store_true", help="only stop, keep the directory")
    sub.add_parser("self-check", help="start, round-trip a row with asyncpg, destroy")
    args = parser.parse_args(argv)
    try:
        if args.command == "ensure-installed":
            print(ensure_installed())
        else:
            {"start": _start, "stop": _stop, "self-check": _self_check}[args.command](args)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
