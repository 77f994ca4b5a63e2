"""Sign-in with a real OpenID Connect provider (tools/oidc: the certified ``oidc-provider``
package on Node), against the check-in service built in this process with its own SQLite
database: tokens come from a real authorization-code + PKCE exchange (tests.support.oidc), not
minted here, and pass the service's whole credential path (the gate, the principal, the roles).

- the provider's access token is accepted, its nested Keycloak-style roles and its tenant, NIP
  and unit read from the configured claims;
- refused with a reason the client can act on: an ID token (another audience), an expired token,
  a key the provider does not publish, another issuer;
- a key rotated at the provider is fetched without restarting the service, and unknown key ids
  refetch the key set at most once per cooldown;
- an unreachable provider is a 503 with its reason, not a 500.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.runtime import migrations, oidc
from tests.security.apps import Built, build
from tests.support.oidc import sign_in
from tools import oidc as provider_tool
from tools import ports

REDIRECT = "http://127.0.0.1:9/signed-in/"  # never opened: the code is read from the redirect itself
TENANT = "oidc-tenant"
DAY = "2026-01-05"


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[ec.EllipticCurvePrivateKey, str, Path]:
    """The provider's first signing key, whose private half the tests keep to forge bad tokens."""
    key = ec.generate_private_key(ec.SECP256R1())
    kid = f"test-{uuid.uuid4()}"
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    jwk.update(kid=kid, alg="ES256", use="sig")
    path = tmp_path_factory.mktemp("oidc") / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return key, kid, path


@pytest.fixture(scope="module")
def provider(signing_key: tuple[Any, str, Path], artifacts_dir: Path) -> Iterator[provider_tool.Provider]:
    lack = provider_tool.missing()
    if lack:
        pytest.fail(f"the OIDC test provider needs {lack} (.ci/setup installs it)", pytrace=False)
    (artifacts_dir / "oidc").mkdir(parents=True, exist_ok=True)
    with provider_tool.started([REDIRECT], log_path=artifacts_dir / "oidc" / "provider.log",
                               jwks_file=signing_key[2], tenant=TENANT) as started:
        yield started


def oidc_settings(issuer: str) -> dict[str, object]:
    return {"oidc_issuer": issuer, "oidc_roles_claim": "realm_access.roles", "oidc_refetch_cooldown_seconds": 0}


@pytest.fixture
async def service(provider: provider_tool.Provider, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    built = build("checkin", tmp_path, **oidc_settings(provider.issuer))
    async with client_of(built) as client:
        yield client


def client_of(built: Built) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=built.app), base_url="http://checkin")


async def migrated(built: Built) -> Built:
    await migrations.upgrade_async(built.rt.versions_dir, built.rt.settings.database_url, built.rt.metadata)
    return built


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    return str(response.json()["detail"][0]["type"])


def forged(key: Any, kid: str, issuer: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": "hadir", "sub": "pegawai", "iat": now, "exp": now + 300, "tenant": TENANT,
              "nip": "198703152010011001", "realm_access": {"roles": ["employee"]}, **overrides}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


async def test_the_providers_access_token_is_accepted_with_its_claims(provider: provider_tool.Provider,
                                                                     tmp_path: Path) -> None:
    built = await migrated(build("checkin", tmp_path, **oidc_settings(provider.issuer)))
    employee = sign_in(provider, REDIRECT, "pegawai").access_token
    head = sign_in(provider, REDIRECT, "kepala").access_token
    async with client_of(built) as client:
        mine = await client.get("/v1/checkins/mine", params={"date": DAY}, headers=bearer(employee))
        assert mine.status_code == 200, mine.text
        assert mine.json() == {"items": [], "next_after": None}
        # The head's nested roles (realm_access.roles) and unit claim: their unit's check-ins, not another's.
        unit = await client.get("/v1/units/bkd/checkins", params={"date": DAY}, headers=bearer(head))
        assert unit.status_code == 200, unit.text
        other = await client.get("/v1/units/keuangan/checkins", params={"date": DAY}, headers=bearer(head))
        assert other.status_code == 403, other.text
        # The employee has no head's role.
        assert (await client.get("/v1/units/bkd/checkins", params={"date": DAY},
                                 headers=bearer(employee))).status_code == 403
        config = (await client.get("/auth/config")).json()
        assert config == {"issuer": provider.issuer, "client_id": "hadir-web",
                          "scope": "openid profile offline_access", "dev_login": True}
    principal = built.rt.authenticator.verify(employee)
    assert (principal.subject, principal.tenant, principal.roles, principal.employee_id) == (
        "pegawai", TENANT, frozenset({"employee"}), "198703152010011001")  # offline_access dropped
    assert built.rt.authenticator.verify(head).unit_id == "bkd"


async def test_refusals_say_what_is_wrong(provider: provider_tool.Provider, service: httpx.AsyncClient,
                                          signing_key: tuple[Any, str, Path]) -> None:
    key, kid, _ = signing_key
    url, params = "/v1/checkins/mine", {"date": DAY}
    id_token = sign_in(provider, REDIRECT, "pegawai").id_token  # audience: the client, not the API
    assert refusal(await service.get(url, params=params, headers=bearer(id_token))) == "token_wrong_audience"
    expired = forged(key, kid, provider.issuer, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    answer = await service.get(url, params=params, headers={**bearer(expired), "Accept-Language": "en"})
    assert refusal(answer) == "token_expired"
    assert "sign in again" in answer.json()["detail"][0]["msg"]
    stranger = forged(ec.generate_private_key(ec.SECP256R1()), f"stranger-{uuid.uuid4()}", provider.issuer)
    assert refusal(await service.get(url, params=params, headers=bearer(stranger))) == "token_unknown_key"
    elsewhere = forged(key, kid, "https://sso.example.invalid")
    assert refusal(await service.get(url, params=params, headers=bearer(elsewhere))) == "invalid_token"
    # The same key's signature over the right claims verifies: the refusals above are the claims' own.
    good = forged(key, kid, provider.issuer)
    assert (await service.get(url, params=params, headers=bearer(good))).status_code != 401


async def test_a_key_rotated_at_the_provider_is_fetched_without_a_restart(provider: provider_tool.Provider,
                                                                         tmp_path: Path) -> None:
    built = await migrated(build("checkin", tmp_path, **oidc_settings(provider.issuer)))
    before = sign_in(provider, REDIRECT, "pegawai").access_token
    async with client_of(built) as client:
        assert (await client.get("/v1/checkins/mine", params={"date": DAY}, headers=bearer(before))).status_code == 200
        new_kid = provider.rotate()
        after = sign_in(provider, REDIRECT, "pegawai").access_token
        assert jwt.get_unverified_header(after)["kid"] == new_kid != jwt.get_unverified_header(before)["kid"]
        assert (await client.get("/v1/checkins/mine", params={"date": DAY}, headers=bearer(after))).status_code == 200
        # The previous key is still published: tokens it signed stay valid until they expire.
        assert (await client.get("/v1/checkins/mine", params={"date": DAY}, headers=bearer(before))).status_code == 200


def test_unknown_key_ids_refetch_the_keys_at_most_once_per_cooldown(provider: provider_tool.Provider,
                                                                     signing_key: tuple[Any, str, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fetches: list[str] = []
    real = jwt.PyJWKClient.fetch_data

    def counted(self: jwt.PyJWKClient) -> Any:
        fetches.append(self.uri)
        return real(self)

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", counted)
    keys = oidc.RemoteKeys(provider.issuer, cooldown_seconds=600)
    assert keys.key(signing_key[1]).key_id == signing_key[1]
    assert len(fetches) == 1
    for _ in range(50):
        with pytest.raises(oidc.UnknownKey):
            keys.key(f"flood-{uuid.uuid4()}")
    assert len(fetches) == 1  # within the cooldown after the first fetch: no refetch at all
    eager = oidc.RemoteKeys(provider.issuer, cooldown_seconds=0)
    eager.key(signing_key[1])
    with pytest.raises(oidc.UnknownKey):
        eager.key("not-there")
    assert len(fetches) == 3  # without a cooldown an unknown kid refetches once, and only once


async def test_an_unreachable_provider_is_a_503(tmp_path: Path, signing_key: tuple[Any, str, Path]) -> None:
    issuer = f"http://127.0.0.1:{ports.free_port()}"  # nothing listens there
    built = build("checkin", tmp_path, **oidc_settings(issuer))
    token = forged(signing_key[0], signing_key[1], issuer)
    async with client_of(built) as client:
        for _ in range(2):  # the second is answered without asking the provider again
            answer = await client.get("/v1/checkins/mine", params={"date": DAY},
                                      headers={**bearer(token), "Accept-Language": "en"})
            assert answer.status_code == 503, answer.text
            assert answer.json()["detail"][0]["type"] == "oidc_unavailable"
            assert "identity provider" in answer.json()["detail"][0]["msg"]
