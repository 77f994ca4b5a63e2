"""Schemathesis against every operation of every service's OpenAPI document (read at run time
from the running service), with valid credentials of a test tenant holding every tenant role:
no 5xx (``not_a_server_error``) and every documented response matches its schema
(``response_schema_conformance``). Schema-valid and schema-violating inputs alike; a bounded
number of examples per operation and a wall-clock budget for the whole run.

One reading of the documents differs from the letter of JSON Schema: ``format: time`` means an
RFC 3339 full-time, with a UTC offset, but Hadir's times (the windows of a circular letter, quiet
hours) are wall-clock times in the tenant's zone and never carry one (Pydantic labels
``datetime.time`` so). The fuzzer reads them as local times (``HH:MM[:SS[.ffffff]]``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.security.conftest import FIGURES, SERVICES
from tests.security.world import Seeder, World
from tests.support.tokens import Tokens
from tools.suite import Suite

MAX_EXAMPLES = 25  # per operation, half of them schema-violating on average
BUDGET_SECONDS = 210.0  # the whole fuzz run; shared among the services by their number of operations
CHECKS = [not_a_server_error, response_schema_conformance]
LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def local_times(node: Any) -> Any:
    """The OpenAPI document with ``format: time`` read as a local wall-clock time."""
    if isinstance(node, dict):
        if node.get("format") == "time":
            node = {**{k: v for k, v in node.items() if k != "format"}, "pattern": LOCAL_TIME}
        return {k: local_times(v) for k, v in node.items()}
    if isinstance(node, list):
        return [local_times(v) for v in node]
    return node


@pytest.fixture(scope="module")
async def fuzz_tenant(security_suite: Suite, security_tokens: Tokens, webhook_receiver: str,
                      api_keys_file: Path) -> World:
    async with httpx.AsyncClient(timeout=30) as http:
        return await Seeder(security_suite, security_tokens, http).seed(
            "fuzz", ["198812012012121009", "198812012012122010"], webhook_url=webhook_receiver,
            keys_file=api_keys_file)


@pytest.fixture(scope="module")
def operation_counts(security_suite: Suite) -> dict[str, int]:
    counts = {}
    for name in SERVICES:
        doc = httpx.get(f"{security_suite[name].url}/openapi.json", timeout=10).json()
        counts[name] = sum(1 for item in doc["paths"].values() for m in item if m in
                           {"get", "put", "post", "patch", "delete"})
    return counts


def operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("service", SERVICES)
def test_fuzz(service: str, security_suite: Suite, fuzz_tenant: World, security_tokens: Tokens,
              operation_counts: dict[str, int]) -> None:
    w = fuzz_tenant
    url = security_suite[service].url
    headers = security_tokens.headers(tenant=w.tenant, roles=["tenant_admin", "unit_head", "employee", "integrator"],
                                      nip=w.nips[0], unit=w.units[0], subject=f"fuzz@{w.tag}")
    schema = schemathesis.openapi.from_dict(local_times(httpx.get(f"{url}/openapi.json", timeout=10).json()))
    budget = BUDGET_SECONDS * operation_counts[service] / sum(operation_counts.values())
    stop_at = time.monotonic() + budget
    cases: dict[str, int] = {}
    failures: list[str] = []
    unsendable = 0
    started = time.monotonic()

    def fuzz(op: Any) -> None:
        label = f"{op.method.upper()} {op.path}"
        cases[label] = 0
        strategy = st.one_of(op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=False,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            nonlocal unsendable
            if time.monotonic() > stop_at:
                return
            try:
                response = case.call(base_url=url, headers=headers, timeout=20)
            except (ValueError, UnicodeError):  # e.g. a header value no HTTP client can send
                unsendable += 1
                return
            cases[label] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # every failed check is a finding: keep fuzzing
                failures.append(f"{label} -> {response.status_code}: {str(exc).strip()[:600]}\n"
                                f"    {case.as_curl_command(headers={'Authorization': 'Bearer $TOKEN'})[:600]}")

        run()

    for op in operations(schema):
        fuzz(op)

    elapsed = time.monotonic() - started
    total = sum(cases.values())
    FIGURES.setdefault("fuzz", {})[service] = {
        "operations": len(cases), "cases": total, "failures": len(failures), "seconds": round(elapsed, 1),
        "budget_seconds": round(budget), "unsendable": unsendable,
        "fewest_cases": min(cases.values()) if cases else 0,
    }
    line = f"fuzz {service}: {total} cases over {len(cases)} operations in {elapsed:.0f}s, {len(failures)} failures"
    FIGURES["fuzz"].setdefault("lines", []).append(line)
    print("\n" + line)
    assert len(cases) == operation_counts[service]
    assert not failures, f"{service}: {len(failures)} failed checks:\n" + "\n".join(failures[:20])
