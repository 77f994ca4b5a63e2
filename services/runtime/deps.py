"""How a route reaches the running service: FastAPI dependencies, not closures.

The composition root (``services/<name>/app.py``) builds one :class:`ServiceRuntime`;
``ServiceRuntime.app()`` puts it on ``app.state.runtime``. Routers are module-level objects
that declare what they need through the dependencies below, so an ``api/`` module can be
read (and imported) without a running service:

- :data:`Runtime` — the service's runtime (sessions, outbox table, settings, metrics);
- :func:`role` — the caller, who must hold one of the named roles (binds the row scope);
- :data:`Caller` — the caller with any role (authenticated, no role check).

Guarantee: every route that names :func:`role` or :data:`Caller` authenticates exactly as
before (bearer JWT or API key, the tenant from the credentials, never from the request), and its
operation in the OpenAPI document requires one of the two security schemes, :data:`BEARER`
(``bearerAuth``) or :data:`API_KEY` (``apiKeyAuth``): they are FastAPI security dependencies of
:func:`current_principal`, so a route states its credentials by the dependency it names, and the
documentation pages show the Authorize button. The schemes only describe: they never refuse
(``auto_error=False``); the authenticator decides.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.runtime import auth, rls
from services.runtime.service import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    """The runtime the composition root attached to this application."""
    return request.app.state.runtime  # type: ignore[no-any-return]


async def _runtime(request: Request) -> ServiceRuntime:
    # Async: FastAPI runs a plain dependency in a worker thread, a hop per request.
    return runtime(request)


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


BEARER = HTTPBearer(
    scheme_name="bearerAuth", bearerFormat="JWT", auto_error=False,
    description="A JWT from the identity provider (`Authorization: Bearer <token>`): ES256 or RS256, "
                "the tenant, roles, NIP and unit from its claims. In development: `hadir token ...`.")
API_KEY = APIKeyHeader(
    name="X-API-Key", scheme_name="apiKeyAuth", auto_error=False,
    description="An integrator's API key (`X-API-Key: hadir_<id>_<secret>`), bound to one tenant and its roles.")

SCHEMES = [Security(BEARER), Security(API_KEY)]  # ``dependencies=`` of a route that authenticates by hand


async def current_principal(
        request: Request,
        scope: Annotated[rls.Scope | None, Depends(auth.request_scope)] = None,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
        _api_key: Annotated[str | None, Security(API_KEY)] = None) -> auth.Principal:
    """The caller, authenticated by the application's own authenticator (``_bearer`` and
    ``_api_key`` only declare the schemes; the authenticator reads the headers). Async: it runs
    in the request's own task, not in a worker thread (a verified token is remembered, so this is
    a dictionary lookup for all but a token's first request)."""
    return runtime(request).current_principal(request, scope)


Caller = Annotated[auth.Principal, Depends(current_principal)]


def role(*roles: str) -> Callable[..., Any]:
    """Dependency: the caller, who must hold one of ``roles``."""
    return auth.require_roles(current_principal, *roles)
