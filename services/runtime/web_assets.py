"""Serving a page's static files from a package folder, for every service with web pages:
a fixed list read at start-up (no path from the request ever reaches the file system),
no build step, no CDN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, RedirectResponse

from services.runtime import errors

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
}

SHARED = Path(__file__).parent / "web_static"  # served by every page, e.g. lang.js, leaflet/leaflet.js

BASE_HEADERS = {
    "Cache-Control": "no-cache",  # revalidate every time: a deployment shows at once
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a token pasted as ?token= never leaks to another site
}


def page_headers(connect_src: str = "'self'", img_src: str = "") -> dict[str, str]:
    """``img_src``: origins added to ``img-src`` (a map's tile server)."""
    images = f"'self' data: {img_src}".strip()
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
           f"img-src {images}; "
           f"connect-src {connect_src}; worker-src 'self'; manifest-src 'self'; "
           "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    return {**BASE_HEADERS, "Content-Security-Policy": csp}


def add_static(router: APIRouter, prefix: str, folder: Path, *,
               index_headers: Callable[[Request], dict[str, str]]) -> None:
    """``{prefix}/`` → index.html (headers made per request), ``{prefix}/<file>`` → the
    folder's files and the shared ones (the folder's win; the shared folder's subfolders by
    their path, e.g. ``leaflet/leaflet.js``), ``{prefix}`` → redirect."""
    files = {p.relative_to(SHARED).as_posix(): p for p in sorted(SHARED.rglob("*"))
             if p.is_file() and p.suffix in MEDIA_TYPES}
    files |= {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES}
    index = files["index.html"]

    @router.get(prefix, include_in_schema=False)
    async def to_index() -> RedirectResponse:
        return RedirectResponse(f"{prefix}/", status_code=status.HTTP_308_PERMANENT_REDIRECT)

    @router.get(f"{prefix}/", include_in_schema=False)
    async def page(request: Request) -> FileResponse:
        return FileResponse(index, media_type=MEDIA_TYPES[".html"], headers=index_headers(request))

    @router.get(prefix + "/{name:path}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = files.get(name)
        if path is None:
            raise errors.error(status.HTTP_404_NOT_FOUND, "no_such_file")
        headers = dict(BASE_HEADERS)
        if name.endswith(".js"):
            headers["Service-Worker-Allowed"] = f"{prefix}/"
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)
