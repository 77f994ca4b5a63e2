"""OpenTelemetry traces: the one seam between the services and the OpenTelemetry SDK.

Tracing is **on** for a process when the standard variables ask for an exporter —
``OTEL_TRACES_EXPORTER`` set to anything but ``none``, or ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` set — and ``OTEL_SDK_DISABLED`` is not ``true``; spans then
go over OTLP/HTTP (the exporter reads the other ``OTEL_*`` variables itself), batched. A test may
:func:`install` a provider of its own instead. Otherwise tracing is **off** (the default, and
``make run``'s).

Guarantee when off: the decision is taken once per process, when its :class:`~.service.ServiceRuntime`
is built (:func:`start`); no SDK is set up, no instrumentation is installed (the FastAPI app and the
SQLAlchemy engine are untouched), no span is created — :func:`staging`, :func:`processing`,
:func:`publishing`, :func:`grouped` and :func:`job` hand back a shared null context (a few hundred
nanoseconds a call) — and the ``traceparent`` of the requests and events is made exactly as before by
:mod:`.tracing` (it feeds the logs' ``trace_id``).

When on: FastAPI's and SQLAlchemy's maintained instrumentations make the HTTP server spans and
the database spans (a statement is traced only inside a traced operation, so idle polls are not
traces of their own). The span of the request, or of the processing of an event, is the source of
the ``traceparent`` bound by :mod:`.tracing`, so the events staged there carry it and the logs'
``trace_id`` is the OpenTelemetry trace id. Per the OpenTelemetry messaging conventions a consumer's
run of events of one type is processed in one ``process`` span (kind consumer) whose parent is the
first event's ``traceparent`` and which links to every event's (a run without any trace, as
watermark marks, gets no span); the relay's ``publish`` span (kind producer) of an outbox chunk links
to the trace of every row it sends; a group commit's span is the child of its first request's trace
and links to all; a background job (a window's closure, a delivery attempt) has a :func:`job` span
whose ``traceparent`` the events it stages carry.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from services.runtime import tracing

_tracer: Any = None  # the process's Tracer while tracing is on, else None
_provider: Any = None
_trace: Any = None  # the module opentelemetry.trace, imported once tracing is on
MAX_LINKS = 128  # links per span (the SDK's default limit)
_NULL: contextlib.nullcontext[None] = contextlib.nullcontext()
EXCLUDED_URLS = "healthz,readyz,metrics"


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces (the rule in the module docstring)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(exporter or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def start(service: str, env: Mapping[str, str] = os.environ) -> Any:
    """The tracer provider of this process when tracing is on (set up from ``env`` on first use,
    named ``hadir-<service>`` unless ``OTEL_SERVICE_NAME`` says otherwise), else None."""
    if _provider is None and wanted(env):
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # Resource.create adds OTEL_RESOURCE_ATTRIBUTES; the samplers read OTEL_TRACES_SAMPLER(_ARG).
        provider = TracerProvider(resource=Resource.create(
            {"service.name": env.get("OTEL_SERVICE_NAME") or f"hadir-{service}"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        install(provider)
    return _provider


def install(provider: Any) -> None:
    """Trace with ``provider`` from now on (runtimes built later are instrumented); None: off."""
    global _tracer, _provider, _trace
    from opentelemetry import trace

    _trace = trace
    _provider = provider
    _tracer = provider.get_tracer("hadir") if provider is not None else None


def active() -> bool:
    return _tracer is not None


def instrument_app(app: Any, provider: Any) -> None:
    """HTTP server spans for ``app`` (FastAPI's instrumentation; not for health, readiness, metrics)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS,
                                       exclude_spans=["receive", "send"])


def instrument_engine(engine: Any, provider: Any) -> None:
    """Database spans for ``engine`` (an AsyncEngine), inside traced operations only."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    usage = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(_WithinTrace(provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")),
                 engine.sync_engine, usage)


class _WithinTrace:
    """A tracer that starts a span only when one is current: a statement of an idle poll (the
    relay's claim, a scheduler's scan) is not a trace of its own."""

    def __init__(self, tracer: Any) -> None:
        self._tracer = tracer

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        if not _trace.get_current_span().get_span_context().is_valid:
            return _trace.INVALID_SPAN
        return self._tracer.start_span(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracer, name)


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, if tracing is on and one is current."""
    if _tracer is None:
        return None
    return _traceparent(_trace.get_current_span())


def staging(rows: int) -> contextlib.AbstractContextManager[Any]:
    """The ``outbox stage`` span of ``rows`` events, child of the current span; a null context when
    tracing is off or no span is current (a group commit's rows are in its own span)."""
    if _tracer is None or not _trace.get_current_span().get_span_context().is_valid:
        return _NULL
    return _tracer.start_as_current_span("outbox stage", attributes={"hadir.outbox.rows": rows})


@contextlib.contextmanager
def _linked(name: str, kind: str, traceparents: Sequence[str | None], parent: bool,
            attributes: dict[str, Any]) -> Iterator[str | None]:
    """A span linked to each distinct trace of ``traceparents`` (up to :data:`MAX_LINKS`); with
    ``parent``, the child of the first valid one, else a root. Yields its traceparent."""
    links: list[Any] = []
    seen: set[str] = set()
    for traceparent in traceparents:
        context = _span_context(traceparent)
        if context is not None and traceparent not in seen:
            seen.add(traceparent)  # type: ignore[arg-type]
            links.append(_trace.Link(context))
            if len(links) >= MAX_LINKS:
                break
    with _tracer.start_as_current_span(name, context=_parent(links[0].context if parent and links else None),
                                       kind=getattr(_trace.SpanKind, kind), links=links,
                                       attributes=attributes) as current:
        yield _traceparent(current)


def processing(group: str, topic: str, items: Sequence[Any]) -> contextlib.AbstractContextManager[Any]:
    """The ``process`` span of a consumer's run of events (``items`` have an ``envelope``), child
    of the first one's trace and linked to all; yields its ``traceparent``. A null context (which
    yields None) when tracing is off or no event of the run carries a trace (a watermark mark)."""
    if _tracer is None:
        return _NULL
    traceparents = [i.envelope.traceparent for i in items]
    if not any(traceparents):
        return _NULL
    first = items[0].envelope
    return _linked(f"process {topic}", "CONSUMER", traceparents, True, {
        "messaging.system": "kafka", "messaging.batch.message_count": len(items),
        "messaging.operation.type": "process", "messaging.operation.name": "process",
        "messaging.destination.name": topic, "messaging.consumer.group.name": group,
        "messaging.message.id": first.id, "cloudevents.event_type": first.type, "hadir.tenant": first.tenant})


def publishing(rows: Sequence[Any]) -> contextlib.AbstractContextManager[Any]:
    """The relay's ``publish`` span of a chunk of outbox rows (with ``topic`` and ``traceparent``):
    a root, linked to every row's trace (a null context when tracing is off)."""
    if _tracer is None:
        return _NULL
    topics = {row.topic for row in rows}
    destination = next(iter(topics)) if len(topics) == 1 else "outbox"
    return _linked(f"publish {destination}", "PRODUCER", [row.traceparent for row in rows], False, {
        "messaging.system": "kafka", "messaging.batch.message_count": len(rows),
        "messaging.operation.type": "send", "messaging.operation.name": "publish",
        "messaging.destination.name": destination})


def grouped(name: str, items: Sequence[Any]) -> contextlib.AbstractContextManager[Any]:
    """The span of work done for several requests at once (a group commit of ``items``, which have
    a ``traceparent``): the child of the first one's trace, linked to all (a null context when
    tracing is off)."""
    if _tracer is None:
        return _NULL
    return _linked(name, "INTERNAL", [i.traceparent for i in items], True, {"hadir.group.size": len(items)})


@contextlib.contextmanager
def _job(name: str, parent: str | None, attributes: dict[str, Any]) -> Iterator[str | None]:
    previous = tracing.current()
    with _tracer.start_as_current_span(name, context=_parent(_span_context(parent)), attributes=attributes) as current:
        tracing.bind(traceparent := _traceparent(current))
        try:
            yield traceparent
        finally:
            tracing.bind(previous)


def job(name: str, parent: str | None = None, **attributes: Any) -> contextlib.AbstractContextManager[Any]:
    """The span of a background job (a window's closure, a delivery), a root or the child of
    ``parent``; its ``traceparent`` is bound (:func:`.tracing.bind`) for what the job stages and
    logs, and the previous one restored after. A null context when tracing is off."""
    if _tracer is None:
        return _NULL
    return _job(name, parent, attributes)


def _traceparent(current: Any) -> str | None:
    context = current.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _parent(remote: Any) -> Any:
    """A context whose current span is ``remote`` (a SpanContext), or None (a root span)."""
    return _trace.set_span_in_context(_trace.NonRecordingSpan(remote)) if remote is not None else None


def _span_context(traceparent: str | None) -> Any:
    parsed = tracing.parse(traceparent)
    if parsed is None:
        return None
    flags = int(traceparent.strip()[-2:], 16) & _trace.TraceFlags.SAMPLED  # type: ignore[union-attr]
    return _trace.SpanContext(trace_id=int(parsed[0], 16), span_id=int(parsed[1], 16), is_remote=True,
                              trace_flags=_trace.TraceFlags(flags))
