"""Authentication: JWTs that must not verify, API keys, and every route of every service
answering 401 without credentials (fast, in-process: nothing is started)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI, HTTPException
from typer.testing import CliRunner

from services.runtime import apikeys, auth, devkeys, token_cache
from tests.security.apps import SERVICES, RouteInfo, build, routes
from tests.security.conftest import FIGURES
from tools.cli import app as cli

ISSUER, AUDIENCE = "hadir-dev", "hadir"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A JWKS with the ES256 development key and an RS256 key."""
    folder = tmp_path_factory.mktemp("jwks")
    private, jwks_path = devkeys.ensure_dev_keys(folder)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
    jwks = json.loads(jwks_path.read_text())
    jwks["keys"].append(rsa_jwk)
    jwks_path.write_text(json.dumps(jwks))
    ec_private = serialization.load_pem_private_key(private.read_bytes(), password=None)
    ec_public_pem = ec_private.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"ec": private.read_bytes(), "ec_public_pem": ec_public_pem, "rsa": rsa_key, "jwks": jwks_path}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "admin@a", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
                            "tenant": "a", "roles": ["tenant_admin"]}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def es256(keys: dict[str, Any], kid: str | None = devkeys.KID, **overrides: Any) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims(**overrides), keys["ec"], algorithm="ES256", headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes | None = None,
           hmac_key: bytes | None = None) -> str:
    """A token assembled by hand (PyJWT refuses to make these)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature or b'')}"


@pytest.fixture
def authenticator(keys: dict[str, Any], tmp_path: Path) -> auth.Authenticator:
    return auth.Authenticator(keys["jwks"], ISSUER, AUDIENCE, apikeys.ApiKeyStore(tmp_path / "api-keys.json"))


def rejected(authenticator: auth.Authenticator, token: str) -> str:
    with pytest.raises(HTTPException) as caught:
        authenticator.verify(token)
    assert caught.value.status_code == 401, caught.value.detail
    return str(caught.value.detail)


def test_valid_es256_and_rs256_tokens_verify(authenticator: auth.Authenticator, keys: dict[str, Any]) -> None:
    principal = authenticator.verify(es256(keys, nip="198703152010011001", unit="bkd"))
    assert (principal.tenant, principal.roles, principal.employee_id, principal.unit_id) == (
        "a", frozenset({"tenant_admin"}), "198703152010011001", "bkd")
    token = jwt.encode(claims(roles=["integrator", "bogus"]), keys["rsa"], algorithm="RS256",
                       headers={"kid": "rsa-1"})
    assert authenticator.verify(token).roles == frozenset({"integrator"})  # unknown roles dropped


def test_algorithm_none_is_rejected(authenticator: auth.Authenticator) -> None:
    for alg in ("none", "None", "NONE"):
        refused = rejected(authenticator, forged({"alg": alg, "typ": "JWT", "kid": devkeys.KID}, claims()))
        assert "invalid_token" in refused and "alg" not in refused  # the library's reason stays in the log


def test_hs256_signed_with_the_public_key_is_rejected(authenticator: auth.Authenticator,
                                                      keys: dict[str, Any]) -> None:
    """The classic key-confusion attack: HMAC keyed with the (public) verification key."""
    token = forged({"alg": "HS256", "typ": "JWT", "kid": devkeys.KID}, claims(), hmac_key=keys["ec_public_pem"])
    rejected(authenticator, token)
    rsa_pem = keys["rsa"].public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    rejected(authenticator, forged({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims(), hmac_key=rsa_pem))


def test_algorithm_is_pinned_to_the_key(authenticator: auth.Authenticator, keys: dict[str, Any]) -> None:
    """An RS256 token presented under the EC key's kid (and vice versa) does not verify."""
    rejected(authenticator, jwt.encode(claims(), keys["rsa"], algorithm="RS256", headers={"kid": devkeys.KID}))
    rejected(authenticator, jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "rsa-1"}))
    other = ec.generate_private_key(ec.SECP384R1())
    rejected(authenticator, jwt.encode(claims(), other, algorithm="ES384", headers={"kid": devkeys.KID}))


@pytest.mark.parametrize(("case", "overrides"), [
    ("wrong issuer", {"iss": "https://evil.example"}),
    ("wrong audience", {"aud": "someone-else"}),
    ("expired", {"exp": int(time.time()) - 3600}),
    ("not yet valid", {"nbf": int(time.time()) + 3600}),
    ("no expiry", {"exp": None}),
    ("no subject", {"sub": None}),
    ("no issuer", {"iss": None}),
    ("no audience", {"aud": None}),
    ("roles not a list", {"roles": "tenant_admin"}),
    ("roles of numbers", {"roles": [1, 2]}),
    ("tenant not a string", {"tenant": {"id": "a"}}),
    ("nip not a string", {"nip": 198703152010011001}),
])
def test_bad_claims_are_rejected(authenticator: auth.Authenticator, keys: dict[str, Any], case: str,
                                 overrides: dict[str, Any]) -> None:
    rejected(authenticator, es256(keys, **overrides))


@pytest.mark.parametrize("kid", [None, "unknown", ["hadir-dev-1"], {"k": 1}, 7])
def test_unknown_or_malformed_kid_is_rejected(authenticator: auth.Authenticator, keys: dict[str, Any],
                                              kid: Any) -> None:
    header = {"alg": "ES256", "typ": "JWT", **({"kid": kid} if kid is not None else {})}
    signature = es256(keys).rsplit(".", 1)[1].encode()  # well-formed, signs something else
    rejected(authenticator, forged(header, claims(), signature=base64.urlsafe_b64decode(signature + b"==")))


def test_tampered_and_garbage_tokens_are_rejected(authenticator: auth.Authenticator, keys: dict[str, Any]) -> None:
    header, _, signature = es256(keys).split(".")
    other = b64(json.dumps(claims(tenant="b")).encode())
    rejected(authenticator, f"{header}.{other}.{signature}")
    for garbage in ("", "x", "a.b.c", "....", "eyJhbGciOiJFUzI1NiJ9", "\u00e9.\u00e9.\u00e9"):
        rejected(authenticator, garbage)


@contextmanager
def key_in_jwks(keys: dict[str, Any], key: ec.EllipticCurvePrivateKey, kid: str) -> Iterator[None]:
    """The public half of ``key`` in the JWKS file for the block (as a key rotation adds it)."""
    jwks = json.loads(keys["jwks"].read_text())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, alg="ES256", use="sig")
    keys["jwks"].write_text(json.dumps({"keys": [*jwks["keys"], jwk]}))
    try:
        yield
    finally:
        keys["jwks"].write_text(json.dumps(jwks))


def test_jwks_rotation_without_restart(authenticator: auth.Authenticator, keys: dict[str, Any],
                                       tmp_path: Path) -> None:
    new_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "rotated-2"})
    rejected(authenticator, token)
    with key_in_jwks(keys, new_key, "rotated-2"):
        assert authenticator.verify(token).tenant == "a"


def test_a_verified_token_is_not_checked_again_until_it_expires(authenticator: auth.Authenticator,
                                                                keys: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    real_decode = auth.jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda token, *a, **k: decoded.append(token) or real_decode(token, *a, **k))
    token = es256(keys, exp=int(time.time()) + 60)
    assert authenticator.verify(token).tenant == "a"
    assert authenticator.verify(token).tenant == "a"
    assert decoded == [token]  # the signature was checked once
    later = time.time() + 60 + auth.LEEWAY_SECONDS
    monkeypatch.setattr(token_cache.time, "time", lambda: later)  # past its expiry (and the leeway)
    authenticator.verify(token)
    assert decoded == [token, token]  # no longer answered from memory: checked (and judged) again


def test_a_key_removed_from_the_jwks_ends_the_tokens_it_verified(authenticator: auth.Authenticator,
                                                                  keys: dict[str, Any]) -> None:
    new_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), new_key, algorithm="ES256", headers={"kid": "revoked-3"})
    with key_in_jwks(keys, new_key, "revoked-3"):
        assert authenticator.verify(token).tenant == "a"
    rejected(authenticator, token)  # verified a moment ago, but its key is gone


def test_the_token_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache: token_cache.TokenCache[str] = token_cache.TokenCache(size=2, leeway_seconds=0)
    far = time.time() + 600
    for name in ("a", "b"):
        cache.put(name, "keys-1", far, name.upper())
    assert cache.get("a", "keys-1") == "A"  # now b is the least recently used
    cache.put("c", "keys-1", far, "C")
    assert (cache.get("b", "keys-1"), cache.get("a", "keys-1"), len(cache)) == (None, "A", 2)
    assert cache.get("a", "keys-2") is None and len(cache) == 0  # another key set: nothing is trusted


# --- API keys ---------------------------------------------------------------------------


def probe_app(authenticator: auth.Authenticator) -> FastAPI:
    app = FastAPI()
    integrator = auth.require_roles(auth.principal_dependency(authenticator), "integrator")

    @app.get("/who")
    async def who(principal: auth.Principal = Depends(integrator)) -> dict[str, Any]:
        return {"subject": principal.subject, "tenant": principal.tenant, "roles": sorted(principal.roles)}

    return app


async def test_api_keys_create_verify_revoke(keys: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    authenticator = auth.Authenticator(keys["jwks"], ISSUER, AUDIENCE, apikeys.ApiKeyStore(path))
    key, secret = apikeys.create(path, tenant="bekasi", description="SIKAP")
    stored = path.read_text()
    assert secret not in stored and secret.split("_")[-1] not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert path.stat().st_mode & 0o077 == 0

    transport = httpx.ASGITransport(app=probe_app(authenticator))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.get("/who", headers={"X-API-Key": secret})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"subject": f"apikey:{key.id}", "tenant": "bekasi", "roles": ["integrator"]}
        wrong_secret = f"hadir_{key.id}_{'A' * 43}"
        bearer = {"Authorization": f"Bearer {es256(keys, roles=['integrator'])}"}
        for headers in ({"X-API-Key": wrong_secret}, {"X-API-Key": "hadir_nope_x"}, {"X-API-Key": "garbage"},
                        {"X-API-Key": secret, **bearer}, {"Authorization": f"Bearer {secret}"}, {}):
            response = await client.get("/who", headers=headers)
            assert response.status_code == 401, (headers, response.text)
        assert (await client.get("/who", headers=bearer)).status_code == 200

        apikeys.revoke(path, key.id)
        assert (await client.get("/who", headers={"X-API-Key": secret})).status_code == 401

        _, other = apikeys.create(path, tenant="bekasi", roles=("employee",))
        assert (await client.get("/who", headers={"X-API-Key": other})).status_code == 403
    with pytest.raises(apikeys.ApiKeyError):
        apikeys.create(path, tenant="bekasi", roles=("platform_admin",))
    with pytest.raises(apikeys.ApiKeyError):
        apikeys.create(path, tenant="", roles=("integrator",))


def test_hadir_apikey_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HADIR_API_KEYS_FILE", raising=False)
    path = tmp_path / "api-keys.json"
    runner = CliRunner()
    created = runner.invoke(cli, ["apikey", "create", "--tenant", "serang", "--var-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    store = apikeys.ApiKeyStore(path)
    key = store.verify(secret)
    assert key is not None and key.tenant == "serang" and key.roles == ("integrator",)
    listed = runner.invoke(cli, ["apikey", "list", "--var-dir", str(tmp_path)])
    assert key.id in listed.stdout and "active" in listed.stdout and secret not in listed.stdout
    assert runner.invoke(cli, ["apikey", "revoke", key.id, "--var-dir", str(tmp_path)]).exit_code == 0
    assert store.verify(secret) is None
    assert runner.invoke(cli, ["apikey", "create", "--var-dir", str(tmp_path)]).exit_code != 0  # no tenant


# --- every route needs credentials -------------------------------------------------------


def is_public(route: RouteInfo, method: str) -> bool:
    """Health, metrics and interface descriptions (auth.PUBLIC_PATHS); static web assets
    (``services/runtime/web_assets.py`` and the documentation pages' ``services/runtime/api_docs.py``:
    files, no data) and CORS preflights. (A bodiless redirect,
    e.g. ``/`` to a page, is accepted too: see the test.)"""
    module = getattr(route.endpoint, "__module__", "") or ""
    return (route.path in auth.PUBLIC_PATHS or module in ("services.runtime.web_assets", "services.runtime.api_docs")
            or method == "OPTIONS")


def concrete(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "x", path)


async def test_every_route_needs_credentials(tmp_path: Path, keys: dict[str, Any]) -> None:
    expired = es256(keys, exp=int(time.time()) - 3600)
    checked: dict[str, int] = {}
    public: list[str] = []
    failures: list[str] = []
    for name in SERVICES:
        # Every refusal below comes from one address: no per-address limit (tests/security/test_guard.py).
        built = build(name, tmp_path, jwt_jwks_file=keys["jwks"], rate_limit_address_per_second=0)
        transport = httpx.ASGITransport(app=built.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            for route in routes(built.app):
                for method in sorted(route.methods):
                    url = concrete(route.path)
                    if is_public(route, method):
                        public.append(f"{name} {method} {route.path}")
                        continue
                    for label, headers in (("none", {}), ("expired", {"Authorization": f"Bearer {expired}"}),
                                           ("bad key", {"X-API-Key": "hadir_0_x"})):
                        response = await client.request(method, url, headers=headers)
                        if response.is_redirect and not response.content:
                            public.append(f"{name} {method} {route.path} -> {response.headers['location']}")
                            break
                        if response.status_code != 401:
                            failures.append(f"{name} {method} {route.path} ({label}): {response.status_code}")
                    else:
                        checked[name] = checked.get(name, 0) + 1
    line = (f"credentials: {sum(checked.values())} routes {checked} answer 401 without, with expired and with "
            f"unknown credentials; public: {sorted({p.split(' ', 1)[1] for p in public if ' HEAD ' not in p})}")
    FIGURES["credentials"] = {"lines": [line], "protected": checked}
    print("\n" + line)
    assert not failures, "routes reachable without valid credentials:\n" + "\n".join(failures)
    assert all(checked.get(n) for n in SERVICES)
