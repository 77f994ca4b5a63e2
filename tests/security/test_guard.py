"""Hostile input (issue 13): the services' real applications, in process (nothing started),
reached through httpx's ASGI transport.

- 401 answers say what the client needs, not the library's reasons.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import jwt

from services.runtime import devkeys
from tests.security.apps import Built, build


def client(built: Built, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=built.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


def checkin(tmp_path: Path, dev_keys: tuple[Path, Path], **settings: Any) -> Built:
    return build("checkin", tmp_path, jwt_jwks_file=dev_keys[1], **settings)


async def test_a_401_does_not_echo_the_reason_of_the_token_library(
        tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    expired = jwt.encode({"sub": "x", "iss": "hadir-dev", "aud": "hadir", "exp": int(time.time()) - 3600},
                         dev_keys[0].read_bytes(), algorithm="ES256", headers={"kid": devkeys.KID})
    unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0."
    async with client(checkin(tmp_path, dev_keys)) as http:
        for token in (expired, unsigned, "a.b.c"):
            for language, expected in (("en", "invalid token"), ("id", "Token tidak valid")):
                reply = await http.get("/v1/checkins/mine", headers={"Authorization": f"Bearer {token}",
                                                                     "Accept-Language": language})
                assert reply.status_code == 401
                assert reply.json()["detail"] == [{"loc": [], "msg": expected, "type": "invalid_token"}]
