"""Sign-in configuration for the web pages: ``GET /auth/config`` on every service, public (the
pages read it before anyone has signed in), holding nothing secret — the OpenID Connect
provider the shared ``signin.js`` (``web_static/``) redirects to, the pages' public client id and
scopes, and whether the development login (a pasted token) is offered: only in development or
when no provider is configured.

A page that signs in talks to the provider from the browser (discovery, token endpoint), so its
``Content-Security-Policy`` must allow the provider's origin: :func:`connect_src`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.runtime.settings import Settings

CONFIG_PATH = "/auth/config"


class SignInConfig(BaseModel):
    issuer: str | None = Field(description="the OIDC provider's issuer URL; null: no provider, development login only",
                               examples=["https://sso.bantenprov.go.id/realms/asn"])
    client_id: str = Field(description="the pages' public client (authorization code + PKCE)", examples=["hadir-web"])
    scope: str = Field(description="the scopes the pages ask for", examples=["openid profile offline_access"])
    dev_login: bool = Field(description="the page may offer the development login (paste a token)")


def config(settings: Settings) -> SignInConfig:
    return SignInConfig(issuer=settings.oidc_issuer or None, client_id=settings.oidc_client_id,
                        scope=settings.oidc_scope,
                        dev_login=settings.environment == "development" or not settings.oidc_issuer)


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["auth"])
    answer = config(settings)

    @routes.get(CONFIG_PATH, response_model=SignInConfig, summary="Konfigurasi masuk / sign-in configuration",
                description="Where the web pages send people to sign in (OpenID Connect authorization code flow "
                            "with PKCE) and whether the development login is offered. Public, no credentials.")
    async def sign_in_config() -> SignInConfig:
        return answer

    return routes


def provider_origin(settings: Settings) -> str | None:
    if not settings.oidc_issuer:
        return None
    parts = urlsplit(settings.oidc_issuer)
    return f"{parts.scheme}://{parts.netloc}"


def connect_src(request: Request, *others: str) -> str:
    """A page's CSP ``connect-src``: itself, ``others`` and the provider of the request's service."""
    origin = provider_origin(request.app.state.runtime.settings)
    return " ".join(["'self'", *others, *([origin] if origin else [])])
