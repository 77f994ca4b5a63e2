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

Every JSON request body in the OpenAPI document has an example (:func:`request_examples`): the one
its operation declares, else its model's, else one composed of its fields' examples; fields declared
by a shared contract model get their description and example from :func:`documented`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

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
    request_examples(app)
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


def documented(fields: Mapping[str, tuple[str | None, Any]]) -> Callable[[dict[str, Any]], None]:
    """A model's ``json_schema_extra`` giving its properties what /docs shows: ``name → (description,
    example)``; a description the field declares itself is kept (None: keep the field's own). For API
    models whose fields are declared by a contract model that consumers read too."""
    def extra(schema: dict[str, Any]) -> None:
        for name, (text, example) in fields.items():
            prop = schema["properties"][name]
            if text:
                prop.setdefault("description", text)
            prop.setdefault("examples", [example])
    return extra


def request_examples(app: FastAPI) -> None:
    """``app``'s OpenAPI document with an example on every JSON request body that has none."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = generate()
            components = doc.get("components", {}).get("schemas", {})
            for item in doc.get("paths", {}).values():
                for operation in item.values():
                    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
                    if media is not None and "example" not in media and "examples" not in media:
                        example = example_of(media.get("schema", {}), components)
                        if example is not None:
                            media["example"] = example
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An example of ``schema``: its own first example, else one composed of its properties'
    (None: nothing to compose it of)."""
    if depth > 8:
        return None
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if "$ref" in schema:
        return example_of(components.get(schema["$ref"].rsplit("/", 1)[-1], {}), components, depth + 1)
    for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        if option.get("type") != "null" and (found := example_of(option, components, depth + 1)) is not None:
            return found
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        item = example_of(schema["items"], components, depth + 1)
        return None if item is None else [item]
    properties = schema.get("properties", {})
    composed = {name: found for name, prop in properties.items()
                if (found := example_of(prop, components, depth + 1)) is not None}
    return composed or None
