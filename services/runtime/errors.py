"""One error vocabulary for every service: each error response is
``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`` in one language.

The language comes from the request's ``Accept-Language``: English when the client prefers
it, Bahasa Indonesia otherwise (the default). Messages come from the one table in
:mod:`services.runtime.messages`; a message that domain code or a validator writes itself
is a pair, or a string ``"Indonesian / English"``. Whatever a route raises — an
``HTTPException`` with a string detail, FastAPI's validation error, a 404 of the router, a
constraint only the database noticed (409), an unreachable database (503) — leaves in this
shape; the rejected input is never echoed (it can be huge, or not even JSON).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any, NamedTuple

import structlog
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from services.runtime.messages import MESSAGES

log = structlog.get_logger(__name__)

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
_language: ContextVar[str] = ContextVar("hadir_language", default=DEFAULT_LANGUAGE)


class Text(NamedTuple):
    """A message in Bahasa Indonesia and English."""

    id: str
    en: str


Message = Text | str  # a table key's Text, or "Indonesian / English" written by domain code


# --- language ----------------------------------------------------------------------------


def language_of(accept_language: str | None) -> str:
    """``en`` when ``Accept-Language`` prefers English to Indonesian, else ``id``."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        primary = "id" if primary == "in" else primary  # the withdrawn code of Indonesian
        if primary not in LANGUAGES:
            continue
        try:
            q = float(params.strip().removeprefix("q=")) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def current_language() -> str:
    return _language.get()


class LanguageMiddleware:
    """Binds the request's language (``Accept-Language``) for the messages made while serving it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or ()).get(b"accept-language", b"").decode("latin-1")
        token = _language.set(language_of(header))
        try:
            await self.app(scope, receive, send)
        finally:
            _language.reset(token)


# --- messages ----------------------------------------------------------------------------


def text(key: str, **ctx: Any) -> Text:
    """The table's message ``key`` with its placeholders filled from ``ctx``."""
    indonesian, english = MESSAGES[key]
    values = {k: _plain(v) for k, v in ctx.items()}
    return Text(_fill(indonesian, values), _fill(english, values))


def pair(message: Message) -> Text:
    """A message as a pair; a string ``"Indonesian / English"`` is split at its first `` / ``
    (a string without one reads the same in both languages)."""
    if isinstance(message, Text):
        return message
    if isinstance(message, tuple):
        return Text(*message)
    indonesian, sep, english = message.partition(" / ")
    return Text(indonesian, english) if sep else Text(message, message)


def say(message: Message) -> str:
    """A message in the current request's language."""
    chosen = pair(message)
    return chosen.en if current_language() == "en" else chosen.id


def _fill(template: str, values: Mapping[str, Any]) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].strip(" ;,(") or template


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- field errors ------------------------------------------------------------------------


class FieldError(BaseModel):
    """One error: where (``loc``), what (``msg``, in the request's language) and a stable ``type``."""

    loc: list[str | int]
    msg: str
    type: str


_SOURCES = frozenset({"body", "query", "header", "path"})
_PATTERNS: dict[str, str] = {r"^[^\x00]*$": "no_nul"}


def explain_pattern(pattern: str, key: str) -> None:
    """Give a regular expression used in request models the table's message ``key``."""
    _PATTERNS[pattern] = key


def make(loc: Sequence[str | int], kind: str, message: Message) -> FieldError:
    """A field error whose message starts with the field it is about (``location.latitude: …``),
    so that a client showing only the message still tells the user which field to fix."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES else loc)
    label = ".".join(str(p) for p in parts)
    msg = say(message)
    return FieldError(loc=list(loc), msg=f"{label}: {msg}" if label else msg, type=kind)


def validation_message(error: Mapping[str, Any]) -> Text:
    """The message of one Pydantic error, from the table when its type is there."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        return text(_PATTERNS[ctx["pattern"]])
    if kind in MESSAGES and kind != "value_error":
        return text(kind, **ctx)
    written = str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if " / " in written:  # validators write "Indonesian / English"
        return pair(written)
    return text("value_error", detail=written or kind)


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic errors as FieldErrors."""
    return [make([_loc_part(p) for p in e.get("loc", ())], str(e["type"]), validation_message(e)) for e in errors]


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) else str(part)


def relocated(error: FieldError, loc: Sequence[str | int]) -> FieldError:
    """The same error under another ``loc`` (its message keeps the field's name)."""
    return error.model_copy(update={"loc": list(loc)})


def detail(*errors: FieldError) -> list[dict[str, Any]]:
    return [e.model_dump() for e in errors]


# --- raising -----------------------------------------------------------------------------


class Refusal(HTTPException):
    """The HTTP error :func:`error` raises: it also keeps its ``kind`` and its message in both languages,
    for work that reports a refusal outside the request that would have chosen one (a job's per-item
    errors)."""

    def __init__(self, status_code: int, kind: str, message: Text, loc: Sequence[str | int],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail(make(loc, kind, message)), headers=headers)
        self.kind = kind
        self.message = message


def error(status_code: int, kind: str, message: Message | None = None, loc: Sequence[str | int] = (),
          headers: dict[str, str] | None = None, **ctx: Any) -> HTTPException:
    """An HTTP error of one item; its message is the table's ``kind`` unless given."""
    chosen = message if message is not None else text(kind, **ctx)
    return Refusal(status_code, kind, pair(chosen), loc, headers=headers)


def unprocessable(*errors: FieldError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail(*errors))


def invalid(loc: Sequence[str | int], message: Message, kind: str = "value_error") -> HTTPException:
    """422 for one field."""
    return error(status.HTTP_422_UNPROCESSABLE_CONTENT, kind, message, loc)


def not_found(what: Text, loc: Sequence[str | int] = ()) -> HTTPException:
    """404 ``<what> tidak ditemukan`` / ``<what> not found``."""
    return error(status.HTTP_404_NOT_FOUND, "not_found", text("not_found", what_id=what.id, what_en=what.en), loc)


def conflict(kind: str, message: Message | None = None, **ctx: Any) -> HTTPException:
    return error(status.HTTP_409_CONFLICT, kind, message, **ctx)


def forbidden(kind: str, message: Message | None = None, loc: Sequence[str | int] = (), **ctx: Any) -> HTTPException:
    return error(status.HTTP_403_FORBIDDEN, kind, message, loc, **ctx)


# --- handlers ----------------------------------------------------------------------------

UNAVAILABLE = (OperationalError, InterfaceError, SQLAlchemyTimeoutError, OSError)

# SQLSTATEs of a server that is restarting, overloaded or resolving a conflict: connection
# exceptions (08), insufficient resources (53), operator intervention (57: shutting down,
# starting up, terminated by an administrator), system errors (58), serialization
# failures and deadlocks. asyncpg reports these as a generic DBAPIError, not OperationalError.
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "58")
TRANSIENT_SQLSTATES = ("40001", "40P01")


def transient_database_error(exc: BaseException) -> bool:
    """A database error that a retry can cure (the server restarting, recovering, or gone
    from under an open connection)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    return state[:2] in TRANSIENT_SQLSTATE_CLASSES or state in TRANSIENT_SQLSTATES


def _body(*errors: FieldError) -> dict[str, Any]:
    return {"detail": detail(*errors)}


def http_error_body(status_code: int, raw: Any) -> dict[str, Any]:
    """Any ``HTTPException`` detail in the list shape: a list passes, a string becomes one item."""
    if isinstance(raw, list):
        return {"detail": raw}
    kind = f"http_{status_code}"
    own = isinstance(raw, str | tuple) and raw and not _is_reason_phrase(status_code, raw)
    message = raw if own else text(kind) if kind in MESSAGES else str(raw or status_code)
    return _body(make([], kind, message))


def _is_reason_phrase(status_code: int, raw: object) -> bool:
    try:
        return raw == HTTPStatus(status_code).phrase
    except ValueError:
        return False


def install(app: FastAPI) -> None:
    """Answer every error in the list shape, in the request's language."""
    app.add_middleware(LanguageMiddleware)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return JSONResponse(http_error_body(exc.status_code, exc.detail), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def on_invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(_body(*field_errors(exc.errors())), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    async def on_concurrent_change(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body(make([], "concurrent_change", text("concurrent_change"))),
                            status_code=status.HTTP_409_CONFLICT)

    async def on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", path=request.url.path, error=repr(exc))
        return JSONResponse(_body(make([], "database_unavailable", text("database_unavailable"))),
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        """asyncpg reports a restarting or recovering server as a plain DBAPIError: 503 as
        above. Anything else stays an unexpected error (the application's 500 handler)."""
        if transient_database_error(exc):
            return await on_database_unavailable(request, exc)
        raise exc

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(IntegrityError, on_concurrent_change)
    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, on_database_unavailable)
    app.add_exception_handler(DBAPIError, on_database_error)


async def answer(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer ``exc`` from an ASGI middleware, in the list shape, without calling the application."""
    response = JSONResponse(http_error_body(exc.status_code, exc.detail), status_code=exc.status_code,
                            headers=exc.headers)
    await response(scope, receive, send)


def internal_error_body(request: Request) -> dict[str, Any]:
    """The 500 answer (rendered outside the request's middleware, so its language is read here)."""
    token = _language.set(language_of(request.headers.get("accept-language")))
    try:
        return _body(make([], "http_500", text("http_500")))
    finally:
        _language.reset(token)


VALIDATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Token tidak ada atau tidak valid / missing or invalid bearer token"},
    403: {"description": "Peran tidak cukup / the caller's role does not allow this"},
    422: {"description": "Masukan tidak valid; `detail` menyebut kolomnya / invalid input; "
                         "`detail` names each bad field (`loc`) with a `msg` in the language of "
                         "`Accept-Language` (Bahasa Indonesia by default)"},
}
