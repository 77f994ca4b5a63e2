"""Cross-origin reads by Hadir's pages (services.runtime.page_cors): the origin rule, and the
middleware on policy's self endpoints that the check-in page reads from the browser."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.runtime.page_cors import allowed_origin, origins
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

NIP = "198703152010011001"


def test_the_default_allows_pages_on_the_services_own_host_only() -> None:
    default = origins("")
    assert allowed_origin("http://127.0.0.1:8001", "127.0.0.1:8002", default) == "http://127.0.0.1:8001"
    assert allowed_origin("https://hadir.example.go.id", "hadir.example.go.id:8443", default) is not None
    assert allowed_origin("http://127.0.0.1.evil.example", "127.0.0.1:8002", default) is None
    assert allowed_origin("http://localhost:8001", "127.0.0.1:8002", default) is None
    assert allowed_origin("null", "127.0.0.1:8002", default) is None
    assert allowed_origin("", "127.0.0.1:8002", default) is None


def test_a_configured_list_or_a_star() -> None:
    listed = origins(" https://absen.example.go.id/ , https://dasbor.example.go.id")
    assert allowed_origin("https://absen.example.go.id", "api.example.go.id", listed) == "https://absen.example.go.id"
    assert allowed_origin("https://api.example.go.id", "api.example.go.id", listed) is None  # the list only
    assert allowed_origin("https://anything.example", "x", origins("*")) == "*"


@pytest.fixture
async def policy(tmp_path: Path, dev_keys: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    from services.policy.app import build

    settings = load_settings("policy", 0, database_url=f"sqlite+aiosqlite:///{tmp_path / 'policy.db'}",
                             jwt_jwks_file=dev_keys[1])
    app, rt = build(settings)
    async with rt.engine.begin() as conn:
        await conn.run_sync(rt.metadata.create_all)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hadir:8002") as client:
        yield client
    await rt.engine.dispose()


async def test_policy_answers_the_check_in_page_on_the_self_endpoints(policy, dev_keys) -> None:  # type: ignore[no-untyped-def]
    page = {"Origin": "http://hadir:8001"}
    me = Tokens(dev_keys[0]).employee("banten", NIP, "bkd")
    for path in ("/v1/me/places", "/v1/me/absences"):
        preflight = await policy.options(path, headers={**page, "Access-Control-Request-Method": "GET",
                                                        "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 204, path
        assert preflight.headers["access-control-allow-origin"] == "http://hadir:8001"
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        assert "access-control-allow-credentials" not in preflight.headers  # bearer tokens only
        refused = await policy.get(path, headers=page)  # no token: the refusal is readable by the page too
        assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "http://hadir:8001"
    absences = await policy.get("/v1/me/absences", headers={**page, **me})
    assert absences.status_code == 200 and absences.json()["items"] == []
    assert absences.headers["access-control-allow-origin"] == "http://hadir:8001"
    places = await policy.get("/v1/me/places", headers={**page, **me})
    assert places.status_code == 404  # not in the directory
    assert places.headers["access-control-allow-origin"] == "http://hadir:8001"
    foreign = await policy.get("/v1/me/absences", headers={"Origin": "https://elsewhere.example", **me})
    assert foreign.status_code == 200 and "access-control-allow-origin" not in foreign.headers
    other = await policy.options("/v1/letters", headers={**page, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in other.headers  # only the paths the page reads
