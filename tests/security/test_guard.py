"""Hostile and oversized requests (issue 13): the services' real applications, in process
(nothing started: every answer here comes before a route touches the database), reached
through httpx's ASGI transport, which hands the body over chunk by chunk as the application
asks for it — so a test sees how much of a body was read.

- a body above its route's limit is 413, refused by its Content-Length before any of it is
  read, or while it streams (chunked) as soon as it passes the limit; the routes that allow
  more (a batch of check-ins, a CSV import) still take more;
- 401 answers say what the client needs, not the library's reasons;
- refusals are counted by reason in /metrics.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from services.runtime import devkeys
from tests.security.apps import Built, build
from tests.support.tokens import Tokens

CHUNK = 64 * 1024
MiB = 2**20


class Body:
    """A request body of ``total`` bytes made on demand, counting the chunks taken from it."""

    def __init__(self, total: int, fill: bytes = b"{") -> None:
        self.total, self.fill, self.taken = total, fill, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            chunk = self.fill * min(CHUNK, self.total - sent)
            self.taken += 1
            sent += len(chunk)
            yield chunk


def client(built: Built, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=built.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


def employee(tokens: Tokens, nip: str = "199001012015031001", tenant: str = "t-guard") -> dict[str, str]:
    return tokens.employee(tenant, nip, "bkd")


def refused_count(metrics: str, reason: str) -> float:
    line = next((x for x in metrics.splitlines() if x.startswith(f'hadir_http_refused_total{{reason="{reason}"}}')),
                None)
    return float(line.split()[-1]) if line else 0.0


@pytest.fixture
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


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


# --- body limits ---------------------------------------------------------------------------


async def test_a_body_whose_length_is_above_the_limit_is_refused_unread(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens) -> None:
    built = checkin(tmp_path, dev_keys, max_body_bytes=MiB)
    async with client(built) as http:
        body = Body(300 * MiB)
        reply = await http.post("/v1/checkins", content=body,
                                headers={**employee(tokens), "Content-Length": str(300 * MiB),
                                         "Accept-Language": "en"})
        assert reply.status_code == 413, reply.text[:200]
        assert reply.json()["detail"] == [{"loc": ["body"], "msg": "request body larger than 1 MB",
                                           "type": "body_too_large"}]
        assert body.taken == 0
        assert refused_count((await http.get("/metrics")).text, "body_too_large") == 1


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens) -> None:
    built = checkin(tmp_path, dev_keys, max_body_bytes=MiB)
    async with client(built) as http:
        body = Body(64 * MiB)  # no Content-Length: sent chunked
        reply = await http.post("/v1/checkins", content=body, headers=employee(tokens))
        assert reply.status_code == 413, reply.text[:200]
        assert reply.json()["detail"][0]["type"] == "body_too_large"
        assert body.taken == MiB // CHUNK + 1, "read up to the first chunk past the limit, no further"
        within = Body(MiB - 10, b" ")  # under the limit: read whole, and judged (blank is not JSON)
        reply = await http.post("/v1/checkins", content=within, headers=employee(tokens))
        assert reply.status_code == 422 and within.taken == MiB // CHUNK


async def test_routes_that_allow_larger_bodies_still_take_them(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens) -> None:
    built = checkin(tmp_path, dev_keys, max_body_bytes=MiB)
    items = [{"idempotency_key": f"k-{i}", "kind": "activity_report", "activity_text": "x" * 4000}
             for i in range(501)]  # about 2 MB: above the default, within the batch's own limit
    async with client(built) as http:
        reply = await http.post("/v1/checkins/batch", json={"items": items}, headers=employee(tokens))
        assert reply.status_code == 422, reply.text[:300]
        assert reply.json()["detail"][0]["type"] == "too_long"  # 501 items: judged, not refused by size
    policy = build("policy", tmp_path, jwt_jwks_file=dev_keys[1], max_body_bytes=MiB)
    admin = tokens.admin("t-guard")
    async with client(policy) as http:
        csv = await http.post("/v1/imports/employees", content=b"x" * (3 * MiB),
                              headers={**admin, "Content-Type": "image/png"})
        assert csv.status_code == 415, csv.text[:200]  # past the body limit, the route answered
        huge = Body(40 * MiB)
        csv = await http.post("/v1/imports/employees", content=huge,
                              headers={**admin, "Content-Type": "text/csv", "Content-Length": str(40 * MiB)})
        assert csv.status_code == 413 and huge.taken == 0
