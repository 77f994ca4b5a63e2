"""A scenario from start to end (tenant, stream and fault, convergence, accounting), and the
command line of ``python -m tools.chaos`` (``make chaos``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx

from services.runtime.settings import REPO_ROOT
from tools.chaos.accounting import Observation, Result, observe
from tools.chaos.environment import ChaosSetupError, Environment
from tools.chaos.faults import EXTRA_FAULTS, FAULTS, fault_action
from tools.chaos.load import plan_stream, sleep_until, stream
from tools.chaos.parameters import CONVERGE_TIMEOUT, FAULT_AT, WINDOWS, say
from tools.chaos.tenant import setup_tenant

DESCRIPTION = ("Fault scenarios on real infrastructure: a crash or a broken connection must never lose "
               "or duplicate a check-in, nor a notification.")


async def scenario(env: Environment, fault: str) -> Result:
    started = time.monotonic()
    action = fault_action(fault)
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=200)) as http:
        tenant = await setup_tenant(env, http, fault)
        plans = plan_stream(tenant)
        say(f"{fault}: tenant {tenant.id} ({tenant.zone}); streaming {len(plans)} check-ins "
            f"over {tenant.stream_seconds:.0f} s")
        clashes: list[str] = []
        failures: Counter[str] = Counter()

        async def strike() -> None:
            await sleep_until(tenant.start + timedelta(seconds=FAULT_AT * tenant.stream_seconds))
            await action(env)

        await asyncio.gather(stream(env, http, tenant, plans, clashes, failures), strike())
        streamed = time.monotonic()
        accepted_cells = {(p.person.nip, p.window) for p in plans if p.checkin_id is not None}
        say(f"{fault}: stream done ({len(accepted_cells)} accepted); waiting for convergence")

        deadline = time.monotonic() + CONVERGE_TIMEOUT
        obs, problem, settled = Observation(), "", False
        while True:
            try:
                obs, problem = await observe(env, http, tenant, plans), ""
                if obs.settled(accepted_cells):
                    await asyncio.sleep(2)  # let late duplicates show up, then count again
                    obs, settled = await observe(env, http, tenant, plans), True
                    break
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1.5)

    not_counted = len(accepted_cells - obs.counted_cells)
    extra_cells = len(obs.counted_cells - accepted_cells)
    unreturned = obs.pending_verdicts + obs.missing_in_store
    lost = not_counted + unreturned + obs.notices_missing
    duplicates = obs.store_duplicates + extra_cells + len(clashes) + obs.notice_duplicates
    errors = [f"{p.key}: {p.error}" for p in plans if p.error]
    if problem:
        errors.append(f"last observation failed: {problem}")
    if not settled:
        errors.append(f"not converged within {CONVERGE_TIMEOUT:.0f} s (windows closed: {obs.finalized}/{WINDOWS})")
    if obs.counted != len(obs.counted_cells):
        errors.append(f"daily report counts {obs.counted} but its rows show {len(obs.counted_cells)} cells")
    details = {
        "not_counted": not_counted, "verdicts_not_returned": unreturned, "notices_missing": obs.notices_missing,
        "store_duplicates": obs.store_duplicates, "extra_cells": extra_cells, "key_clashes": len(clashes),
        "notice_duplicates": obs.notice_duplicates, "windows_closed": obs.finalized,
        "overdue": len(obs.overdue_cells), "notifications": obs.notifications,
        "attempts": sum(p.attempts for p in plans),
        "retried_on": ",".join(f"{k}:{v}" for k, v in sorted(failures.items())) or "-",
        "converged_in_s": round(time.monotonic() - streamed),
    }
    return Result(fault, len(plans), len(accepted_cells), obs.counted, lost, duplicates,
                  time.monotonic() - started, details, errors)


def run_fault(env: Environment, fault: str) -> Result:
    """Run one scenario (synchronously); afterwards the environment is whole again."""
    fault_action(fault)  # reject unknown names before touching anything
    try:
        return asyncio.run(scenario(env, fault))
    finally:
        env.heal()


# ---------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=DESCRIPTION)
    parser.add_argument("--fault", action="append", choices=FAULTS + EXTRA_FAULTS,
                        help="run only this fault (repeatable); default: all of them")
    parser.add_argument("--log-dir", type=Path, default=REPO_ROOT / "test-artifacts" / "chaos",
                        help="where the services' logs go (default: test-artifacts/chaos)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        env = Environment.start(args.log_dir)
    except ChaosSetupError as exc:
        print(f"chaos: the environment did not start: {exc}", file=sys.stderr)
        return 2
    results: list[Result] = []
    try:
        say(f"environment ready in {time.monotonic() - started:.0f} s")
        for fault in args.fault or FAULTS:
            try:
                result = run_fault(env, fault)
            except Exception as exc:  # noqa: BLE001 — a scenario that could not run fails, the others go on
                result = Result(fault, 0, 0, 0, 0, 0, 0.0, {}, [f"{type(exc).__name__}: {exc}"])
            results.append(result)
            print(result.line(), flush=True)
            say(result.explain().strip())
    finally:
        env.stop()
    failed = [r for r in results if not r.ok]
    say(f"{len(results)} fault(s) in {time.monotonic() - started:.0f} s; "
        + (f"FAILED: {', '.join(r.name for r in failed)}" if failed else "nothing lost, nothing duplicated"))
    for r in failed:
        print(r.explain(), file=sys.stderr)
    return 1 if failed else 0

