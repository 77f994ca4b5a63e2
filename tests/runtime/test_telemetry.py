"""Tracing off is the default and costs nothing (:mod:`services.runtime.telemetry`): no tracer
provider, no instrumentation, no span; the ``traceparent`` of requests is made as before. The
traces themselves are checked across the services in tests/e2e/test_traces.py."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace
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
        helpers = [telemetry.span("outbox stage"), telemetry.job("close window"),
                   telemetry.processing("g", "topic", [Decoded(envelope, None)]),  # type: ignore[arg-type]
                   telemetry.publishing([("topic", envelope)])]
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
