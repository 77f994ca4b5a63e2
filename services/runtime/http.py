"""FastAPI application shell: health, readiness, metrics, request metrics and the request guards."""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.contracts.asyncapi import asyncapi_document
from services.runtime import api_docs, errors, telemetry, tracing
from services.runtime.body_limit import BodyLimit, BodyLimits
from services.runtime.gate import Gate, Gatekeeper
from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]
Warnings = Callable[[], dict[str, str]]


def create_app(
    *,
    title: str,
    description: str,
    metrics: RuntimeMetrics,
    readiness: ReadinessCheck,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
    body_limits: BodyLimits | None = None,
    gatekeeper: Gatekeeper | None = None,
    traced: bool = False,
    warnings: Warnings | None = None,
) -> FastAPI:
    """The application with its ops routes, its documentation pages (:mod:`.api_docs`) and, outermost
    first: request observation, the request's language, the gate (credentials and rates, before any
    body is read) and the body limit.
    ``traced``: the app is instrumented (:mod:`.telemetry`); a request's trace is its server span's."""
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    api_docs.install(app)  # /docs and /redoc with the service's own assets (no CDN)

    @app.get("/healthz", tags=["ops"], summary="The process is alive",
             description="Liveness: 200 while the process answers, whatever its dependencies. No credentials.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Kafka and the database are reachable",
             description="Readiness: 200 with `checks` (`database`, `kafka`) all `ok`; 503 with the failing "
                         "check named while a dependency is unreachable. `warnings` (present only when there are "
                         "any): what works but not as a deployment would want, e.g. notify's channels that are not "
                         "configured; they never make the answer 503. No credentials.",
             responses={503: {"description": "a dependency is unreachable"}})
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ok = all(v == "ok" for v in checks.values())
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if warnings is not None and (noted := warnings()):
            body["warnings"] = noted
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/asyncapi.json", tags=["integration"], summary="AsyncAPI 3.0 document of Hadir's events",
             description="Every Kafka topic, its CloudEvents headers and each event's JSON Schema: what an "
                         "integrator subscribes to. The same document from every service. No credentials.")
    async def asyncapi() -> JSONResponse:
        return JSONResponse(asyncapi_document())

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if body_limits is not None:
        app.add_middleware(BodyLimit, limits=body_limits, refused=metrics.http_refused)
    if gatekeeper is not None:
        app.add_middleware(Gate, keeper=gatekeeper, refused=metrics.http_refused)
    errors.install(app)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", path=request.url.path, error=repr(exc), exc_info=exc)
        return JSONResponse(errors.internal_error_body(request), status_code=500)

    app.add_middleware(Observe, metrics=metrics, traced=traced)
    return app


class Observe:
    """Every HTTP request: a child of the caller's trace (``traceparent`` in and out), counted and
    timed by route template, and logged. Plain ASGI (Starlette's ``BaseHTTPMiddleware`` costs a
    task group and a stream per request).

    Guarantee: what a request binds in context variables (its tenant scope, its trace, its log
    fields) ends with it. The request runs in a task of its own on a copy of the caller's
    context: uvicorn gives each request a task anyway, but an in-process caller (an ASGI
    transport) would otherwise carry one request's tenant into its own later queries."""

    def __init__(self, app: ASGIApp, metrics: RuntimeMetrics, traced: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.traced = traced  # the OpenTelemetry server span (outside this middleware) is the request's trace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Cancelling the caller cancels the request's task (a client that went away).
        await asyncio.get_running_loop().create_task(self._observe(scope, receive, send),
                                                     context=contextvars.copy_context())

    async def _observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        incoming = next((v for k, v in scope["headers"] if k == b"traceparent"), None)
        traceparent = ((self.traced and telemetry.current_traceparent())
                       or tracing.child_of(incoming.decode("latin-1") if incoming is not None else None))
        scope.setdefault("state", {})["traceparent"] = traceparent  # request.state.traceparent
        tracing.bind(traceparent)
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"traceparent", traceparent.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            elapsed = time.perf_counter() - started
            self.metrics.http_requests.labels(method, template, f"{status // 100}xx").inc()
            self.metrics.http_duration.labels(method, template).observe(elapsed)
            log.info("request", method=method, route=template, status=status, ms=round(elapsed * 1000, 1))
