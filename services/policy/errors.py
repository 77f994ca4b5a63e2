"""Client errors in Bahasa Indonesia and English, naming the field they concern.

Every 4xx body has FastAPI's shape, ``{"detail": ...}``: a bilingual sentence
(``"Indonesian / English"``) or, for bad input, a list of
``{"loc": [...], "msg": "Indonesian / English", "type": ...}``, one per field.
Request validation errors from FastAPI/pydantic are translated here, so a client
never sees a bare English message nor a 500 for malformed input; a constraint
violation that only the database notices (two requests racing) becomes a 409.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

Loc = Sequence[str | int]


def field_error(loc: Loc, indonesian: str, english: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": f"{indonesian} / {english}", "type": type_}


def unprocessable(*errors: dict[str, Any]) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, list(errors))


def invalid(loc: Loc, indonesian: str, english: str, type_: str = "value_error") -> HTTPException:
    return unprocessable(field_error(loc, indonesian, english, type_))


def not_found(indonesian: str, english: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{indonesian} tidak ditemukan / {english} not found")


def conflict(indonesian: str, english: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, f"{indonesian} / {english}")


def forbidden(indonesian: str, english: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, f"{indonesian} / {english}")


def _c(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda ctx: str(ctx.get(key, "?"))


_INDONESIAN: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "wajib diisi",
    "extra_forbidden": lambda ctx: "kolom tidak dikenal",
    "string_type": lambda ctx: "harus berupa teks",
    "string_too_short": lambda ctx: f"terlalu pendek (minimal {_c('min_length')(ctx)} karakter)",
    "string_too_long": lambda ctx: f"terlalu panjang (maksimal {_c('max_length')(ctx)} karakter)",
    "string_pattern_mismatch": lambda ctx: f"format tidak sesuai (pola {_c('pattern')(ctx)})",
    "int_type": lambda ctx: "harus berupa bilangan bulat",
    "int_parsing": lambda ctx: "harus berupa bilangan bulat",
    "int_from_float": lambda ctx: "harus berupa bilangan bulat",
    "float_type": lambda ctx: "harus berupa angka",
    "float_parsing": lambda ctx: "harus berupa angka",
    "finite_number": lambda ctx: "harus berupa angka berhingga",
    "bool_type": lambda ctx: "harus true atau false",
    "bool_parsing": lambda ctx: "harus true atau false",
    "date_type": lambda ctx: "tanggal tidak valid (format YYYY-MM-DD)",
    "date_parsing": lambda ctx: "tanggal tidak valid (format YYYY-MM-DD)",
    "date_from_datetime_parsing": lambda ctx: "tanggal tidak valid (format YYYY-MM-DD)",
    "date_from_datetime_inexact": lambda ctx: "tanggal tidak boleh memuat jam",
    "time_type": lambda ctx: "jam tidak valid (format HH:MM)",
    "time_parsing": lambda ctx: "jam tidak valid (format HH:MM)",
    "datetime_type": lambda ctx: "waktu tidak valid (ISO 8601)",
    "datetime_parsing": lambda ctx: "waktu tidak valid (ISO 8601)",
    "datetime_from_date_parsing": lambda ctx: "waktu tidak valid (ISO 8601)",
    "timezone_aware": lambda ctx: "waktu harus memuat zona waktu",
    "uuid_parsing": lambda ctx: "UUID tidak valid",
    "uuid_type": lambda ctx: "UUID tidak valid",
    "enum": lambda ctx: f"harus salah satu dari {_c('expected')(ctx).replace(' or ', ' atau ')}",
    "literal_error": lambda ctx: f"harus salah satu dari {_c('expected')(ctx).replace(' or ', ' atau ')}",
    "greater_than_equal": lambda ctx: f"harus lebih besar atau sama dengan {_c('ge')(ctx)}",
    "greater_than": lambda ctx: f"harus lebih besar dari {_c('gt')(ctx)}",
    "less_than_equal": lambda ctx: f"harus lebih kecil atau sama dengan {_c('le')(ctx)}",
    "less_than": lambda ctx: f"harus lebih kecil dari {_c('lt')(ctx)}",
    "too_short": lambda ctx: f"terlalu sedikit (minimal {_c('min_length')(ctx)})",
    "too_long": lambda ctx: f"terlalu banyak (maksimal {_c('max_length')(ctx)})",
    "list_type": lambda ctx: "harus berupa daftar",
    "dict_type": lambda ctx: "harus berupa objek",
    "model_type": lambda ctx: "harus berupa objek",
    "model_attributes_type": lambda ctx: "harus berupa objek",
    "json_invalid": lambda ctx: "JSON tidak valid",
    "json_type": lambda ctx: "JSON tidak valid",
}


def translate(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as ``{"loc", "msg": "id / en", "type"}`` (the input is not echoed)."""
    type_ = str(error.get("type", "value_error"))
    english = str(error.get("msg", "invalid value"))
    if type_ in ("value_error", "assertion_error"):
        text = english.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        msg = text if " / " in text else f"nilai tidak valid / {text}"
    else:
        indonesian = _INDONESIAN.get(type_, lambda ctx: "nilai tidak valid")(error.get("ctx") or {})
        msg = f"{indonesian} / {english}"
    return {"loc": list(error.get("loc", ())), "msg": msg, "type": type_}


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": [translate(e) for e in exc.errors()]},
                        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _on_integrity_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "Data bertabrakan dengan perubahan lain, ulangi permintaan / "
                   "conflicting concurrent change, retry the request"},
        status_code=status.HTTP_409_CONFLICT,
    )


def install(app: FastAPI) -> None:
    """Register the bilingual handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)


VALIDATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Token tidak ada atau tidak valid / missing or invalid bearer token"},
    403: {"description": "Peran tidak cukup / the caller's role does not allow this"},
    422: {"description": "Masukan tidak valid; `detail` menyebut kolomnya / invalid input; "
                         "`detail` names each bad field (`loc`) with a bilingual `msg`"},
}
