"""``hadir simulate`` / ``python -m tools.simulate``: the command line of the day simulator.
Exit status 0 when the report equals the ground truth, 1 on a difference, 2 when it could not run."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from tools.simulate import __doc__ as ABOUT
from tools.simulate.day import Config
from tools.simulate.simulator import simulate


def parse_args(argv: Sequence[str] | None) -> Config:
    env = os.environ
    parser = argparse.ArgumentParser(prog="hadir simulate", description=ABOUT.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--tenant")
    parser.add_argument("--timezone", choices=["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
    parser.add_argument("--window-seconds", type=float)
    parser.add_argument("--rate", type=float, default=40.0,
                        help="check-ins per second the services sustain; sizes the windows")
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--policy-url", default=env.get("HADIR_POLICY_URL", "http://127.0.0.1:8002"))
    parser.add_argument("--checkin-url", default=env.get("HADIR_CHECKIN_URL", "http://127.0.0.1:8001"))
    parser.add_argument("--reporting-url", default=env.get("HADIR_REPORTING_URL", "http://127.0.0.1:8004"))
    parser.add_argument("--kafka", default=env.get("HADIR_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--private-key", type=Path, help="ES256 key the services' JWKS trusts (default: var/dev-keys)")
    parser.add_argument("--settle-timeout", type=float, default=180.0)
    a = parser.parse_args(argv)
    return Config(policy_url=a.policy_url, checkin_url=a.checkin_url, reporting_url=a.reporting_url, kafka=a.kafka,
                  private_key=a.private_key, employees=a.employees, units=a.units, seed=a.seed, tenant=a.tenant,
                  timezone=a.timezone, window_seconds=a.window_seconds, rate=a.rate, concurrency=a.concurrency,
                  settle_timeout=a.settle_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulation; 0 when the report equals the ground truth, 1 otherwise."""
    cfg = parse_args(argv)
    try:
        result = asyncio.run(simulate(cfg))
    except (RuntimeError, httpx.HTTPError) as exc:
        print(f"simulasi gagal / simulation failed: {exc}", file=sys.stderr)
        return 2
    return 0 if result.ok else 1
