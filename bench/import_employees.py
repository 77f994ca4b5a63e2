"""Time the import of 10,000 employees through the policy service's HTTP API.

    .venv/bin/python bench/import_employees.py [--rows 10000] [--database-url URL | --sqlite]

The service runs in-process (its real FastAPI app, migrations and outbox) behind
httpx's ASGI transport, so the figure covers CSV parsing, validation, the
comparison with stored rows, the bulk upserts and the outbox rows of one
transaction, without network noise. By default it starts a throwaway PostgreSQL
cluster (``tools.postgres.cluster``); ``--database-url`` uses an
existing one and ``--sqlite`` a temporary SQLite file. Kafka is not needed: the
outbox keeps the events (the relay keeps retrying in the background).

Printed: the first import (10,000 new employees), the re-import of the same file
(nothing changes, nothing is published) and an import where every row changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from services.policy.app import build  # noqa: E402
from services.runtime.devkeys import ensure_dev_keys, issue_token  # noqa: E402
from services.runtime.settings import Settings  # noqa: E402

UNITS = 40
GOAL_SECONDS = 10.0


def nip(i: int) -> str:
    birth = date(1970, 1, 1) + timedelta(days=i // 999)
    return f"{birth:%Y%m%d}{birth.year + 24:04d}{i % 12 + 1:02d}{i % 2 + 1}{i % 999 + 1:03d}"


def employees_csv(rows: int, variant: int = 0) -> bytes:
    rnd = random.Random(7)
    lines = ["nip,nama,jabatan,unit,guru,pelayanan,kepala,aktif,email,telepon,rumah_lat,rumah_lon,rumah_radius"]
    for i in range(rows):
        lat = -6.1 - rnd.random() * 0.3 + variant * 0.01
        lon = 106.0 + rnd.random() * 0.4
        lines.append(
            f"{nip(i)},Pegawai {i},Pelaksana {variant},opd-{i % UNITS:02d},{'ya' if i % 17 == 0 else 'tidak'},"
            f"{'ya' if i % 23 == 0 else 'tidak'},{'ya' if i % 50 == 0 else 'tidak'},ya,"
            f"pegawai{i}@bantenprov.go.id,0812{i:08d},{lat:.6f},{lon:.6f},150"
        )
    return ("\n".join(lines) + "\n").encode()


def units_csv() -> bytes:
    lines = ["kode,nama,jenis,induk,sektor"]
    lines += [f"opd-{u:02d},Perangkat Daerah {u},dinas,,{('kritis', 'esensial', '')[u % 3]}" for u in range(UNITS)]
    return ("\n".join(lines) + "\n").encode()


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    if args.database_url:
        yield args.database_url, "PostgreSQL (given URL)"
    elif args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/policy.db", "SQLite (temporary file)"
    else:
        from tools.postgres import cluster as postgres_local

        server = postgres_local.start_throwaway()
        try:
            yield server.url("postgres"), f"PostgreSQL (throwaway cluster, postgres_local, port {server.port})"
        finally:
            server.destroy()


async def run(url: str, rows: int) -> dict[str, float]:
    logging.disable(logging.CRITICAL)  # the relay keeps trying the absent Kafka
    with tempfile.TemporaryDirectory() as tmp:
        private, jwks = ensure_dev_keys(Path(tmp))
        settings = Settings(service="policy-bench", database_url=url, kafka_bootstrap_servers="127.0.0.1:1",
                            jwt_jwks_file=jwks, log_level="ERROR")
        app, _ = build(settings, scheduler_seconds=3600)
        token = issue_token(private, subject="bench", roles=["tenant_admin"], tenant="bench")
        headers = {"Authorization": f"Bearer {token}", "content-type": "text/csv"}
        results: dict[str, float] = {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
                r = await client.post("/v1/imports/units", headers=headers, content=units_csv())
                assert r.status_code == 200, r.text
                for label, body in (("first import", employees_csv(rows)),
                                    ("same file again", employees_csv(rows)),
                                    ("every row changed", employees_csv(rows, variant=1))):
                    started = time.perf_counter()
                    r = await client.post("/v1/imports/employees", headers=headers, content=body)
                    elapsed = time.perf_counter() - started
                    assert r.status_code == 200, r.text[:2000]
                    report = r.json()
                    results[label] = elapsed
                    print(f"  {label:<18} {elapsed:6.2f} s   created={report['created']:>5} "
                          f"updated={report['updated']:>5} unchanged={report['unchanged']:>5} "
                          f"published={report['published']:>5}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--database-url")
    group.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with database(args) as (url, label):
        print(f"Importing {args.rows:,} employees into the policy service on {label}")
        results = asyncio.run(run(url, args.rows))
    first = results["first import"]
    verdict = "within" if first < GOAL_SECONDS else "OVER"
    print(f"{args.rows:,} employees imported in {first:.2f} s ({verdict} the {GOAL_SECONDS:.0f} s goal)")


if __name__ == "__main__":
    main()
