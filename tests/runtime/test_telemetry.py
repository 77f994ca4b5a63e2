"""Tracing off is the default and costs nothing (:mod:`services.runtime.telemetry`): no tracer
provider, no instrumentation, no span; the ``traceparent`` of requests is made as before. The
traces themselves are checked across the services in tests/e2e/test_traces.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.checkin.app import build
from services.contracts.envelope import Envelope
from services.runtime import telemetry, tracing
from services.runtime.consumer import Decoded
from services.runtime.settings import Settings


@pytest.mark.parametrize(("env", "on"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
    ({"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"}, True),
    ({"OTEL_SERVICE_NAME": "hadir-checkin"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),  # docker compose outside its tracing profile: empty is unset
])
def test_tracing_is_on_only_when_the_otel_variables_ask_for_an_exporter(env: dict[str, str], on: bool) -> None:
    assert telemetry.wanted(env) is on


async def test_with_tracing_off_nothing_is_instrumented_and_no_span_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    app, rt = build(Settings(service="checkin", database_url="sqlite+aiosqlite:///:memory:",
                             kafka_bootstrap_servers="127.0.0.1:9"))
    try:
        assert rt.tracer_provider is None and not telemetry.active()
        assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # the API's no-op one
        assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
        listeners = rt.engine.sync_engine.dispatch.before_cursor_execute
        assert not [f for f in listeners if type(getattr(f, "__self__", None)).__name__ == "EngineTracer"]

        envelope = Envelope(type="t", source="/s", tenant="x", subject="s", data=b"{}",
                            traceparent=tracing.new_traceparent())
        helpers = [telemetry.staging(1), telemetry.job("close window"),
                   telemetry.processing("g", "topic", [Decoded(envelope, None)]),  # type: ignore[arg-type]
                   telemetry.publishing([SimpleNamespace(topic="topic", traceparent=envelope.traceparent)])]
        for helper in helpers:
            assert helper is telemetry._NULL
            with helper as bound:
                assert bound is None and telemetry.current_traceparent() is None

        # The request's trace is still a child of the caller's, made by services.runtime.tracing.
        incoming = tracing.new_traceparent()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkin.test") as client:
            response = await client.get("/healthz", headers={"traceparent": incoming})
        assert tracing.trace_id(response.headers["traceparent"]) == tracing.trace_id(incoming)
        assert response.headers["traceparent"] != incoming
    finally:
        await rt.engine.dispose()


def test_a_consumer_span_continues_the_event_trace_and_links_every_event() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    first, second = tracing.new_traceparent(), tracing.new_traceparent().removesuffix("01") + "00"
    runs = [Decoded(Envelope(type="t", source="/s", tenant="x", subject="s", data=b"{}", traceparent=tp), None)  # type: ignore[arg-type]
            for tp in (first, second, None)]
    telemetry.install(provider)
    try:
        assert telemetry.processing("g", "topic", runs[2:]) is telemetry._NULL  # no trace (a mark): no span
        with telemetry.processing("hadir-policy-evaluator", "topic", runs) as bound:
            assert bound == telemetry.current_traceparent()
    finally:
        telemetry.install(None)
    [span] = exporter.get_finished_spans()
    assert span.kind == trace.SpanKind.CONSUMER and span.name == "process topic"
    assert span.parent is not None and f"{span.parent.trace_id:032x}" == tracing.trace_id(first)
    assert tracing.trace_id(bound) == tracing.trace_id(first)
    assert [(f"{link.context.trace_id:032x}", link.context.trace_flags.sampled) for link in span.links] == [
        (tracing.trace_id(first), True), (tracing.trace_id(second), False)]  # the caller's sampled flag kept
    assert (span.attributes or {})["messaging.batch.message_count"] == 3


CHILD = """
import asyncio
from opentelemetry import trace
from services.runtime import telemetry, tracing
from services.checkin.app import build
from services.runtime.settings import Settings

app, rt = build(Settings(service="checkin", database_url="sqlite+aiosqlite:///:memory:",
                         kafka_bootstrap_servers="127.0.0.1:9"))
assert rt.tracer_provider is trace.get_tracer_provider()  # the SDK's, set up from the variables
with telemetry.job("close window overdue") as traceparent:
    assert tracing.current() == traceparent
rt.tracer_provider.force_flush()
print(tracing.trace_id(traceparent))
asyncio.run(rt.engine.dispose())
"""


def test_the_otel_variables_turn_tracing_on_and_spans_go_over_otlp_http(tmp_path: Path) -> None:
    received: list[tuple[str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — the http.server name
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_port}",
                   OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test")
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parents[2])
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    trace_id = done.stdout.split()[-1]
    [(path, body)] = received
    assert path == "/v1/traces"
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "hadir-checkin" and resource["deployment.environment"] == "test"
    [span] = [s for scope in resource_spans.scope_spans for s in scope.spans]
    assert span.name == "close window overdue" and span.trace_id.hex() == trace_id
