"""Field-level errors for every service, in FastAPI's format (``{"detail": [{"loc", "msg", "type"}]}``) with
messages in Bahasa Indonesia and English.

Pydantic's own messages are English only, and FastAPI's default handler echoes the
rejected input, which can be huge (oversized text) or not even JSON (``NaN``, which
made it answer 500). This handler answers with ``loc``, ``msg`` and ``type`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

log = structlog.get_logger(__name__)

_MESSAGES: dict[str, str] = {
    "missing": "Wajib diisi / field required",
    "extra_forbidden": "Kolom tidak dikenal / unknown field",
    "string_type": "Harus berupa teks / must be a string",
    "string_unicode": "Teks bukan Unicode yang valid / text is not valid Unicode",
    "string_too_short": "Teks terlalu pendek, minimal {min_length} karakter / text too short, at least {min_length} "
                        "characters",
    "string_too_long": "Teks terlalu panjang, maksimal {max_length} karakter / text too long, at most {max_length} "
                       "characters",
    "string_pattern_mismatch": "Format tidak valid / invalid format",
    "greater_than_equal": "Nilai harus paling sedikit {ge} / must be at least {ge}",
    "less_than_equal": "Nilai harus paling banyak {le} / must be at most {le}",
    "greater_than": "Nilai harus lebih dari {gt} / must be greater than {gt}",
    "less_than": "Nilai harus kurang dari {lt} / must be less than {lt}",
    "float_type": "Harus berupa angka / must be a number",
    "float_parsing": "Harus berupa angka / must be a number",
    "int_type": "Harus berupa bilangan bulat / must be an integer",
    "int_parsing": "Harus berupa bilangan bulat / must be an integer",
    "finite_number": "Harus berupa angka terhingga / must be a finite number",
    "bool_type": "Harus true atau false / must be true or false",
    "bool_parsing": "Harus true atau false / must be true or false",
    "enum": "Nilai tidak dikenal; pilihan: {expected} / unknown value; expected {expected}",
    "literal_error": "Nilai tidak dikenal; pilihan: {expected} / unknown value; expected {expected}",
    "timezone_aware": "Waktu harus menyertakan zona waktu, mis. +07:00 / datetime must include a UTC offset, "
                      "e.g. +07:00",
    "datetime_type": "Waktu tidak valid (ISO 8601) / invalid datetime (ISO 8601)",
    "datetime_parsing": "Waktu tidak valid (ISO 8601) / invalid datetime (ISO 8601)",
    "datetime_from_date_parsing": "Waktu tidak valid (ISO 8601) / invalid datetime (ISO 8601)",
    "date_parsing": "Tanggal tidak valid (YYYY-MM-DD) / invalid date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "Tanggal tidak valid (YYYY-MM-DD) / invalid date (YYYY-MM-DD)",
    "model_type": "Harus berupa objek JSON / must be a JSON object",
    "model_attributes_type": "Harus berupa objek JSON / must be a JSON object",
    "dict_type": "Harus berupa objek JSON / must be a JSON object",
    "list_type": "Harus berupa daftar (array JSON) / must be a JSON array",
    "too_short": "Minimal {min_length} butir / at least {min_length} item(s)",
    "too_long": "Terlalu banyak butir, maksimal {max_length} / too many items, at most {max_length}",
    "json_invalid": "JSON tidak valid / invalid JSON",
    "json_type": "JSON tidak valid / invalid JSON",
}
_PATTERNS = {
    r"^[^\x00]*$": "Teks tidak boleh berisi karakter NUL / text must not contain NUL characters",
}


class FieldError(BaseModel):
    """FastAPI's validation-error item: where (``loc``), what (``msg``) and a stable ``type``."""

    loc: list[str | int]
    msg: str
    type: str


def explain_pattern(pattern: str, message: str) -> None:
    """Give a regular expression used in request models a bilingual, human message."""
    _PATTERNS[pattern] = message


def bilingual(error: Mapping[str, Any]) -> str:
    """The message of one Pydantic error in Bahasa Indonesia and English."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        return _PATTERNS[ctx["pattern"]]
    template = _MESSAGES.get(kind)
    if template is None:  # our own PydanticCustomError messages are bilingual already
        return str(error.get("msg", "Isian tidak valid / invalid value"))
    try:
        return template.format(**{k: _plain(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].strip(" ;,") or str(error.get("msg"))


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SOURCES = frozenset({"body", "query", "header", "path"})


def make(loc: Sequence[str | int], kind: str, message: str) -> FieldError:
    """A field error whose message starts with the field it is about (``location.latitude: …``),
    so that a client showing only the message still tells the user which field to fix."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES else loc)
    label = ".".join(str(p) for p in parts)
    return FieldError(loc=list(loc), msg=f"{label}: {message}" if label else message, type=kind)


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic errors as FieldErrors."""
    return [make([_loc_part(p) for p in e.get("loc", ())], str(e["type"]), bilingual(e)) for e in errors]


def _loc_part(part: Any) -> str | int:
    return part if isinstance(part, int) else str(part)


def relocated(error: FieldError, loc: Sequence[str | int]) -> FieldError:
    """The same error under another ``loc`` (its message keeps the field's name)."""
    return error.model_copy(update={"loc": list(loc)})


def detail(*errors: FieldError) -> list[dict[str, Any]]:
    return [e.model_dump() for e in errors]


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


def install(app: FastAPI) -> None:
    """Answer request-validation failures with bilingual field errors (never echoing input),
    and an unreachable database with 503 and ``Retry-After`` (the client keeps its check-ins
    and retries with the same idempotency keys)."""

    async def on_invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": detail(*field_errors(exc.errors()))},
                            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    async def on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", path=request.url.path, error=repr(exc))
        return JSONResponse(
            {"detail": "Basis data sementara tidak tersedia, coba lagi / database temporarily unavailable, retry"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        """asyncpg reports a restarting or recovering server as a plain DBAPIError: 503 as
        above. Anything else stays an unexpected error (the application's 500 handler)."""
        if transient_database_error(exc):
            return await on_database_unavailable(request, exc)
        raise exc

    app.add_exception_handler(RequestValidationError, on_invalid_request)
    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, on_database_unavailable)
    app.add_exception_handler(DBAPIError, on_database_error)
