"""FastAPI application shell: health, readiness, metrics and request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.contracts.asyncapi import asyncapi_document
from services.runtime import errors, tracing
from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]


def create_app(
    *,
    title: str,
    description: str,
    metrics: RuntimeMetrics,
    readiness: ReadinessCheck,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)

    @app.get("/healthz", tags=["ops"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Kafka and the database are reachable",
             responses={503: {"description": "a dependency is unreachable"}})
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/asyncapi.json", tags=["integration"], summary="AsyncAPI 3.0 document of Hadir's events")
    async def asyncapi() -> JSONResponse:
        return JSONResponse(asyncapi_document())

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    errors.install(app)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", path=request.url.path, error=repr(exc), exc_info=exc)
        return JSONResponse(errors.internal_error_body(request), status_code=500)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        traceparent = tracing.child_of(request.headers.get("traceparent"))
        request.state.traceparent = traceparent
        tracing.bind(traceparent)
        response = await call_next(request)
        response.headers["traceparent"] = traceparent
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.http_requests.labels(request.method, template, f"{response.status_code // 100}xx").inc()
        metrics.http_duration.labels(request.method, template).observe(time.perf_counter() - started)
        log.info("request", method=request.method, route=template, status=response.status_code,
                 ms=round((time.perf_counter() - started) * 1000, 1))
        return response

    return app
