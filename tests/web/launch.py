"""Run one service like ``python -m services.<name>``, with its web router included.

``python -m tests.web.launch checkin|reporting|policy|notify``. Until the services'
``app.py`` include their web routers themselves this adds them; once they do, it
adds nothing and the process is exactly what a deployment runs.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from fastapi import FastAPI

from services.runtime.service import ServiceRuntime, serve

WEB = {"checkin": ("services.checkin.web", "/app/"), "reporting": ("services.reporting.web", "/dashboard/")}


def paths(routes: list[Any]) -> set[str]:
    """Every route path, also inside included routers (FastAPI may keep them nested)."""
    found: set[str] = set()
    for route in routes:
        if isinstance(getattr(route, "path", None), str):
            found.add(route.path)
        nested = getattr(getattr(route, "original_router", None), "routes", None)
        if nested:
            found |= paths(nested)
    return found


def with_pages(name: str, app: FastAPI, rt: ServiceRuntime) -> FastAPI:
    """``app`` with its service's web router, unless ``app.py`` already included it."""
    if name in WEB:
        module, page = WEB[name]
        if page not in paths(app.routes):
            app.include_router(importlib.import_module(module).build_web_router(rt))
    return app


def main(name: str) -> None:
    app, rt = importlib.import_module(f"services.{name}.app").build()
    serve(with_pages(name, app, rt), rt.settings)


if __name__ == "__main__":
    main(sys.argv[1])
