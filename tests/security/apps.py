"""The four services' FastAPI apps built in this process (no lifespan: nothing starts), to read
their routes, OpenAPI documents and consumer groups."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings

SERVICES = ("checkin", "policy", "notify", "reporting")


@dataclass
class Built:
    name: str
    app: FastAPI
    rt: ServiceRuntime


def build(name: str, tmp: Path, **overrides: object) -> Built:
    module = importlib.import_module(f"services.{name}.app")
    settings = load_settings(name, 0, database_url=overrides.pop("database_url", None)
                             or f"sqlite+aiosqlite:///{tmp / name}.db", var_dir=tmp, **overrides)
    app, rt = module.build(settings)
    return Built(name, app, rt)


def consumer_groups(tmp: Path) -> dict[str, list[str]]:
    """Every consumer group of the four services and the topics it subscribes to."""
    groups: dict[str, list[str]] = {}
    for name in SERVICES:
        for consumer in build(name, tmp).rt.consumers:
            groups[consumer.group_id] = list(consumer.topics)
    return groups


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    endpoint: Callable[..., Any] | None


def routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every HTTP route, those of included routers too (FastAPI >= 0.13x includes them lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        contexts: Any = app.routes
    else:
        contexts = iter_route_contexts(app.routes)
    for route in contexts:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if methods and path:
            yield RouteInfo(path, frozenset(methods), getattr(route, "endpoint", None))
