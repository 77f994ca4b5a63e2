"""Signing in at the local OIDC provider (tools/oidc) the way a browser does, with httpx: an
authorization request with PKCE (S256), the provider's login form, the redirect with the code,
and the code exchanged at the token endpoint with its verifier. The provider's own tokens, not
minted here."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlparse

import httpx

from tools.oidc import Provider

FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
MAX_HOPS = 10


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str | None


def sign_in(provider: Provider, redirect_uri: str, login: str, password: str = "rahasia") -> Tokens:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        answer = client.get(f"{provider.issuer}/auth", params={
            "client_id": provider.client_id, "response_type": "code", "redirect_uri": redirect_uri,
            "scope": "openid profile offline_access", "state": state, "prompt": "consent",
            "code_challenge": challenge, "code_challenge_method": "S256"})
        for _ in range(MAX_HOPS):
            if answer.status_code in (302, 303):
                location = urljoin(str(answer.url), answer.headers["location"])
                if location.startswith(redirect_uri):
                    return _exchange(client, provider, redirect_uri, location, state, verifier)
                answer = client.get(location)
            elif answer.status_code == 200 and (form := FORM_ACTION.search(answer.text)):
                fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', answer.text))
                fields.update(login=login, password=password)
                answer = client.post(urljoin(str(answer.url), form.group(1)), data=fields)
            else:
                raise AssertionError(f"unexpected answer from the provider: {answer.status_code} {answer.text[:300]}")
    raise AssertionError("the provider did not redirect back")


def _exchange(client: httpx.Client, provider: Provider, redirect_uri: str, location: str, state: str,
              verifier: str) -> Tokens:
    query = parse_qs(urlparse(location).query)
    assert query.get("state") == [state], query
    assert "code" in query, query
    answer = client.post(f"{provider.issuer}/token", data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri,
        "client_id": provider.client_id, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return Tokens(body["access_token"], body["id_token"], body.get("refresh_token"))
