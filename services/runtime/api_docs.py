"""Every service's API documentation pages, served by the service itself: ``/docs`` (Swagger UI)
and ``/redoc`` (ReDoc), both reading the service's ``/openapi.json``.

Guarantee: the pages load nothing from another origin. Their scripts and styles are vendored
(``web_static/docs``, copied unchanged from npm; versions and checksums in its README) and served
from a fixed list under ``/docs/assets/`` (no path from a request reaches the file system); the
pages' Content-Security-Policy allows the service's own origin only and no inline script, so the
documentation renders with no network (no CDN) and a page cannot be made to run anything else.
ReDoc's bundle writes its styles into ``<style>`` elements (styled-components, no way to hand it a
nonce), so ``/redoc`` alone also allows inline styles; never inline scripts, never another origin.
Its search runs in a ``blob:`` worker, which the policy refuses: ReDoc's search is turned off
(Swagger UI has its own filter-free list of every operation).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.responses import FileResponse, HTMLResponse

from services.runtime import errors
from services.runtime.web_assets import BASE_HEADERS, MEDIA_TYPES, page_headers

FOLDER = Path(__file__).parent / "web_static" / "docs"
ASSETS = "/docs/assets"
FILES = {name: FOLDER / name for name in
         ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-init.js", "redoc.standalone.js")}
CACHED = {**BASE_HEADERS, "Cache-Control": "public, max-age=86400"}  # a release changes them, not a request

_HEAD = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1">'
         '<link rel="icon" href="data:,"><title>{title}</title>')


def swagger_ui_html(title: str, openapi_url: str, assets: str = ASSETS) -> str:
    return (_HEAD.format(title=escape(f"{title} — API")) +
            f'<link rel="stylesheet" href="{assets}/swagger-ui.css"></head><body>'
            f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>'
            f'<script src="{assets}/swagger-ui-bundle.js"></script>'
            f'<script src="{assets}/swagger-init.js"></script></body></html>')


def redoc_html(title: str, openapi_url: str, assets: str = ASSETS) -> str:
    return (_HEAD.format(title=escape(f"{title} — API (ReDoc)")) +
            f'</head><body><redoc spec-url="{escape(openapi_url)}" disable-search></redoc>'
            f'<script src="{assets}/redoc.standalone.js"></script></body></html>')


def inline_styles(csp: str) -> str:
    """``csp`` that also allows inline styles (ReDoc's)."""
    allowed = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'", 1)
    if allowed == csp:
        raise ValueError(f"no style-src 'self' in {csp!r}")
    return allowed


def install(app: FastAPI) -> None:
    """``/docs``, ``/redoc`` and their assets on ``app`` (built with ``docs_url=None, redoc_url=None``)."""
    headers = page_headers()
    redoc_headers = {**headers, "Content-Security-Policy": inline_styles(headers["Content-Security-Policy"])}

    def urls(request: Request) -> tuple[str, str]:
        root = request.scope.get("root_path", "").rstrip("/")
        return root + (app.openapi_url or "/openapi.json"), root + ASSETS

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_ui_html(app.title, *urls(request)), headers=headers)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return HTMLResponse(redoc_html(app.title, *urls(request)), headers=redoc_headers)

    @app.get(ASSETS + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = FILES.get(name)
        if path is None:
            raise errors.error(status.HTTP_404_NOT_FOUND, "no_such_file")
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=CACHED)
