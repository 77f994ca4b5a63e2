"""Hostile and oversized requests (issue 13): the services' real applications, in process
(nothing started: every answer here comes before a route touches the database), reached
through httpx's ASGI transport, which hands the body over chunk by chunk as the application
asks for it — so a test sees how much of a body was read.

- credentials are checked before a body is read: an anonymous or badly signed request with
  a malformed body is 401, unread (it was 422, parsed);
- a body above its route's limit is 413, refused by its Content-Length before any of it is
  read, or while it streams (chunked) as soon as it passes the limit; the routes that allow
  more (a batch of check-ins, a CSV import) still take more;
- callers are held to a rate (429 with Retry-After): per principal (token or API key), and
  per client address for refused credentials; the clock is the test's;
- 401 answers say what the client needs, not the library's reasons;
- refusals are counted by reason in /metrics, with no tenant in their labels.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from services.runtime import apikeys, devkeys
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


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


# --- credentials before the body ---------------------------------------------------------


async def test_an_anonymous_request_is_refused_before_its_body_is_read(
        tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    built = checkin(tmp_path, dev_keys)
    async with client(built) as http:
        for headers in ({}, {"Authorization": "Bearer not.a.token"}, {"X-API-Key": "hadir_0_x"}):
            body = Body(MiB // 2)  # malformed JSON ("{{{{…"), within the body limit
            reply = await http.post("/v1/checkins", content=body, headers=headers)
            assert reply.status_code == 401, (headers, reply.status_code, reply.text[:200])
            assert reply.headers["WWW-Authenticate"] == "Bearer"
            assert reply.json()["detail"][0]["type"] in {"credentials_required", "invalid_token", "invalid_api_key"}
            assert body.taken == 0, "not one chunk of the body was read"
        small = await http.post("/v1/checkins", content=b"{not json", headers={"Content-Type": "application/json"})
        assert small.status_code == 401, small.text


async def test_a_401_does_not_echo_the_reason_of_the_token_library(
        tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    expired = jwt.encode({"sub": "x", "iss": "hadir-dev", "aud": "hadir", "exp": int(time.time()) - 3600},
                         dev_keys[0].read_bytes(), algorithm="ES256", headers={"kid": devkeys.KID})
    unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0."
    # An expired token is told so in the services' own words (sign in again); the others only that they do not verify.
    cases = ((expired, "token_expired", "token expired; sign in again", "Token sudah kedaluwarsa; masuk lagi"),
             *((token, "invalid_token", "invalid token", "Token tidak valid") for token in (unsigned, "a.b.c")))
    async with client(checkin(tmp_path, dev_keys)) as http:
        for token, kind, english, indonesian in cases:
            for language, expected in (("en", english), ("id", indonesian)):
                reply = await http.get("/v1/checkins/mine", headers={"Authorization": f"Bearer {token}",
                                                                     "Accept-Language": language})
                assert reply.status_code == 401
                assert reply.json()["detail"] == [{"loc": [], "msg": expected, "type": kind}]


async def test_a_get_with_refused_credentials_is_answered_by_its_route(
        tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    """A GET reads no body: its route refuses it, with the headers it adds (the CORS of the
    check-in page's cross-origin read of policy), and a static file stays a static file."""
    async with client(build("policy", tmp_path / "policy", jwt_jwks_file=dev_keys[1])) as http:
        reply = await http.get("/v1/me/places", headers={"Authorization": "Bearer x.y.z",
                                                         "Origin": "http://svc:8001"})
        assert reply.status_code == 401 and reply.headers["Access-Control-Allow-Origin"] == "http://svc:8001"
    async with client(checkin(tmp_path, dev_keys)) as http:
        page = await http.get("/app/", headers={"Authorization": "Bearer x.y.z"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


async def test_the_route_is_handed_the_caller_the_gate_verified(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens) -> None:
    """One verification a request: the principal dependency takes the gate's caller."""
    built = checkin(tmp_path, dev_keys)
    seen: list[Any] = []
    verify = built.rt.authenticator.verify
    built.rt.authenticator.verify = lambda token: seen.append(token) or verify(token)  # type: ignore[method-assign]
    async with client(built) as http:
        reply = await http.post("/v1/checkins", json={}, headers=employee(tokens))
    assert reply.status_code == 422, reply.text  # past the gate and the principal: the body is judged
    assert len(seen) == 1


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


# --- rates ----------------------------------------------------------------------------------


async def test_a_caller_above_its_rate_gets_429_with_retry_after(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens, monkeypatch: pytest.MonkeyPatch) -> None:
    keys_file = tmp_path / "api-keys.json"
    monkeypatch.setenv("HADIR_API_KEYS_FILE", str(keys_file))  # where the services read their API keys
    _, secret = apikeys.create(keys_file, tenant="t-guard")
    built = checkin(tmp_path, dev_keys, rate_limit_principal_per_second=0.5, rate_limit_principal_burst=2)
    clock = built.rt.gatekeeper.principals.clock = Clock()
    first, second, key = employee(tokens), employee(tokens, nip="199001012015031002"), {"X-API-Key": secret}
    async with client(built) as http:
        async def post(headers: dict[str, str]) -> httpx.Response:
            return await http.post("/v1/checkins", json={}, headers=headers)

        assert [(await post(first)).status_code for _ in range(2)] == [422, 422]
        limited = await post(first)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
        assert limited.json()["detail"][0]["type"] == "rate_limited"
        assert (await post(second)).status_code == 422, "another employee has a rate of their own"
        assert [(await post(key)).status_code for _ in range(3)] == [403, 403, 429]  # an API key too
        clock.now += 2
        assert (await post(first)).status_code == 422
        assert (await post(first)).status_code == 429
        metrics = (await http.get("/metrics")).text
    assert refused_count(metrics, "rate_limited_principal") == 3
    assert "t-guard" not in metrics and "199001012015031001" not in metrics


async def test_refused_credentials_are_limited_per_client_address(
        tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADIR_RATE_LIMIT_ADDRESS_PER_SECOND", "0.2")
    monkeypatch.setenv("HADIR_RATE_LIMIT_ADDRESS_BURST", "3")
    built = checkin(tmp_path, dev_keys)  # the limits from the environment
    clock = built.rt.gatekeeper.addresses.clock = Clock()
    bad = {"Authorization": "Bearer bad.token.here"}
    async with client(built, "198.51.100.1") as attacker, client(built, "198.51.100.2") as neighbour:
        codes = [(await attacker.get("/v1/checkins/mine", headers=bad)).status_code for _ in range(300)]
        assert codes == [401] * 3 + [429] * 297
        last = await attacker.post("/v1/checkins", content=b"{", headers=bad)
        assert last.status_code == 429 and last.headers["Retry-After"] == "5"
        assert (await neighbour.get("/v1/checkins/mine", headers=bad)).status_code == 401
        ok = await attacker.post("/v1/checkins", json={}, headers=employee(tokens))
        assert ok.status_code == 422, "valid credentials from that address still pass"
        clock.now += 5
        assert (await attacker.get("/v1/checkins/mine", headers=bad)).status_code == 401
        metrics = (await attacker.get("/metrics")).text
    assert refused_count(metrics, "rate_limited_address") == 298
    assert refused_count(metrics, "unauthenticated") == 5
