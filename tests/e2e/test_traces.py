"""OpenTelemetry traces across the services (:mod:`services.runtime.telemetry`), on real Kafka and
PostgreSQL: the four services' apps run in this process on one tracer provider whose spans go to an
in-memory exporter, and a broker of the module's own.

One check-in is one trace from the HTTP accept through policy's verdict to reporting's projection;
one overdue notice is one trace from the window's closure to notify's delivery. A consumer's
``process`` span is a child of the event's ``traceparent`` (and links to it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.checkin.app import build as build_checkin
from services.contracts import topics
from services.notify.app import build as build_notify
from services.notify.settings import NotifyServiceSettings, NotifySettings
from services.policy.app import build as build_policy
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings
from services.runtime import telemetry, tracing
from services.runtime.settings import Settings
from tests.notify.receivers import MailServer
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.ports import free_port
from tools.seed import Seeder
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

HOME = (-6.1202, 106.1503)  # Serang, Banten
NIP_IN, NIP_OUT = "198703152010011001", "199002202015032002"


@dataclass
class Traced:
    exporter: InMemorySpanExporter
    clients: dict[str, httpx.AsyncClient]
    tokens: Tokens

    def spans(self, trace_id: int) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.context.trace_id == trace_id]


@pytest.fixture(scope="module")
async def traced(module_kafka: str, module_databases: dict[str, str],
                 dev_keys: tuple[Path, Path]) -> AsyncIterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    common = dict(kafka_bootstrap_servers=module_kafka, jwt_jwks_file=dev_keys[1], outbox_poll_seconds=0.2,
                  log_level="WARNING")
    telemetry.install(provider)
    mail = MailServer(free_port())
    mail.start()
    try:
        apps = {
            "checkin": build_checkin(Settings(service="checkin", database_url=module_databases["checkin"], **common)),
            "policy": build_policy(Settings(service="policy", database_url=module_databases["policy"], **common),
                                   scheduler_seconds=0.5),
            "reporting": build_reporting(ReportingSettings(
                service="reporting", database_url=module_databases["reporting"], reporting_scan_seconds=0.5,
                reporting_settle_seconds=1, reporting_due_soon_minutes=0, **common)),
            "notify": build_notify(NotifyServiceSettings(
                service="notify", database_url=module_databases["notify"], **common,
                notify=NotifySettings(secret_keys=Fernet.generate_key().decode(), delivery_poll_seconds=0.2,
                                      quiet_hours_start=time(0), quiet_hours_end=time(0),
                                      smtp_host="127.0.0.1", smtp_port=mail.port))),  # a channel to deliver on
        }
        async with AsyncExitStack() as stack:
            clients = {}
            for name, (app, _) in apps.items():
                await stack.enter_async_context(app.router.lifespan_context(app))
                clients[name] = await stack.enter_async_context(httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test", timeout=60))
            yield Traced(exporter, clients, Tokens(dev_keys[0]))
    finally:
        mail.stop()
        telemetry.install(None)


async def seeded(traced: Traced, closes_in: timedelta) -> tuple[str, dict[str, str], datetime]:
    """A tenant of two employees and a letter with one location window open now, closing in
    ``closes_in``; returns the tenant, its administrator's headers and the deadline."""
    tenant = f"tr-{uuid.uuid4().hex[:8]}"
    admin = traced.tokens.admin(tenant)
    tz, local_now = now_with_room(closes_in + timedelta(minutes=2))
    policy = traced.clients["policy"]
    seeder = Seeder(policy, str(policy.base_url), admin)
    await seeder.directory(name="Pemerintah Provinsi Uji", timezone=tz, units={"bkd": seed.unit("BKD")},
                           employees={nip: {"name": f"Pegawai {nip[-3:]}", "unit_id": "bkd",
                                            "email": f"{nip}@example.go.id", "places": [seed.home(HOME)]}
                                      for nip in (NIP_IN, NIP_OUT)})
    start, end_local = seed.opened_now(local_now, closes_in)
    await seeder.letter(seed.letter(f"800/{tenant}", "Uji jejak", local_now.date(),
                                    [seed.window("lokasi", "Lokasi", start, end_local, ["location"])]))
    return tenant, admin, end_local.astimezone(UTC)


def consumer_spans(spans: Sequence[ReadableSpan], service: str, topic: str) -> list[ReadableSpan]:
    return [s for s in spans if s.kind == SpanKind.CONSUMER and s.name == f"process {topic}"
            and str((s.attributes or {}).get("messaging.consumer.group.name", "")).startswith(f"hadir-{service}-")]


async def test_one_checkin_is_one_trace_from_the_http_accept_to_reporting(traced: Traced) -> None:
    tenant, admin, _ = await seeded(traced, timedelta(minutes=5))
    employee = traced.tokens.employee(tenant, NIP_IN, "bkd")
    body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(),
            "location": {"latitude": HOME[0], "longitude": HOME[1] + 0.0005, "accuracy_m": 12}}

    async def accepted() -> httpx.Response | None:  # once the check-in service knows the employee
        resp = await traced.clients["checkin"].post("/v1/checkins", json=body,
                                                    headers={**employee, "Idempotency-Key": "tr-1"})
        return resp if resp.status_code in (200, 201) else None

    response = await eventually(accepted, timeout=30, what="check-in accepted")
    trace_id = tracing.trace_id(response.headers["traceparent"])  # what the logs carry as trace_id
    assert trace_id is not None
    ours = int(trace_id, 16)

    async def projected() -> list[ReadableSpan] | None:
        spans = traced.spans(ours)
        return spans if consumer_spans(spans, "reporting", topics.CHECKIN_EVALUATED) else None

    spans = await eventually(projected, timeout=30, what="reporting's process span in the check-in's trace")
    [server] = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server.name == "POST /v1/checkins" and server.parent is None
    assert (server.attributes or {}).get("http.route") == "/v1/checkins"
    # the check-in service's group commit wrote it (and staged checkin.received) in the request's trace
    [accepting] = [s for s in spans if s.name == "accept check-ins"]
    assert accepting.parent is not None and accepting.parent.span_id == server.context.span_id
    assert any(s.name == "outbox stage" and s.parent == accepting.context for s in spans)
    # (more than one only should a batch be applied again after a failure)
    evaluated, *_ = consumer_spans(spans, "policy", topics.CHECKIN_RECEIVED)
    projected_by, *_ = consumer_spans(spans, "reporting", topics.CHECKIN_EVALUATED)
    for consumer in (evaluated, projected_by):  # children of the event's traceparent, linked to it
        assert consumer.parent is not None and consumer.parent.is_remote
        assert ours in {link.context.trace_id for link in consumer.links}
    # policy staged its verdict inside its process span; the statements are traced too
    assert any(s.name == "outbox stage" and s.parent is not None and s.parent.span_id == evaluated.context.span_id
               for s in spans)
    assert any((s.attributes or {}).get("db.system") == "postgresql" or (s.attributes or {}).get(
        "db.system.name") == "postgresql" for s in spans if s.parent == projected_by.context)

    # the relay's publish spans (roots of their own) link to the check-in's trace
    publishes = [s for s in traced.exporter.get_finished_spans() if s.kind == SpanKind.PRODUCER
                 and ours in {link.context.trace_id for link in s.links}]
    assert {s.name for s in publishes} >= {f"publish {topics.CHECKIN_RECEIVED}", f"publish {topics.CHECKIN_EVALUATED}"}

    async def counted() -> dict | None:
        report = (await traced.clients["reporting"].get("/v1/reports/daily", headers=admin)).json()
        windows = report.get("windows") or []
        return windows[0] if windows and windows[0]["on_time"] == 1 else None

    await eventually(counted, timeout=30, what="the check-in in reporting's daily summary")


async def test_an_overdue_notice_is_one_trace_from_the_closure_to_its_delivery(traced: Traced) -> None:
    tenant, admin, deadline = await seeded(traced, timedelta(seconds=15))

    def closing() -> ReadableSpan | None:  # the closure that staged the notices (a later try finds it made)
        return next((s for s in traced.exporter.get_finished_spans() if s.name == "close window overdue"
                     and (s.attributes or {}).get("hadir.tenant") == tenant
                     and any(c.name == "outbox stage" for c in traced.spans(s.context.trace_id))), None)

    async def delivered() -> tuple[ReadableSpan, list[ReadableSpan]] | None:
        closure = closing()
        spans = traced.spans(closure.context.trace_id) if closure is not None else []
        return (closure, spans) if closure and any(s.name.startswith("deliver ") for s in spans) else None

    wait = (deadline - datetime.now(UTC)).total_seconds() + 60
    closure, spans = await eventually(delivered, timeout=wait, what="notify's delivery span in the closure's trace")
    assert closure.parent is None
    consumed = consumer_spans(spans, "notify", topics.REPORT_OVERDUE)
    assert consumed and all(s.parent is not None and s.parent.span_id == closure.context.span_id for s in consumed)
    deliveries = [s for s in spans if s.name.startswith("deliver ")]
    assert all((s.attributes or {}).get("hadir.attempt") for s in deliveries)
    assert any(s.name == "outbox stage" and s.parent == closure.context for s in spans)

    rows = (await traced.clients["notify"].get("/v1/notifications", headers=admin)).json()["items"]
    assert {r["recipient"] for r in rows} == {NIP_IN, NIP_OUT}  # nobody checked in: both are overdue
