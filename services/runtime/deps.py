"""How a route reaches the running service: FastAPI dependencies, not closures.

The composition root (``services/<name>/app.py``) builds one :class:`ServiceRuntime`;
``ServiceRuntime.app()`` puts it on ``app.state.runtime``. Routers are module-level objects
that declare what they need through the dependencies below, so an ``api/`` module can be
read (and imported) without a running service:

- :data:`Runtime` — the service's runtime (sessions, outbox table, settings, metrics);
- :func:`role` — the caller, who must hold one of the named roles (binds the row scope);
- :data:`Caller` — the caller with any role (authenticated, no role check).

Guarantee: every route that names :func:`role` or :data:`Caller` authenticates exactly as
before (bearer JWT or API key, the tenant from the credentials, never from the request).
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from services.runtime import auth, rls
from services.runtime.service import ServiceRuntime


def runtime(request: Request) -> ServiceRuntime:
    """The runtime the composition root attached to this application."""
    return request.app.state.runtime  # type: ignore[no-any-return]


async def _runtime(request: Request) -> ServiceRuntime:
    # Async: FastAPI runs a plain dependency in a worker thread, a hop per request.
    return runtime(request)


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


async def current_principal(request: Request,
                            scope: Annotated[rls.Scope | None, Depends(auth.request_scope)] = None) -> auth.Principal:
    """The caller, authenticated by the application's own authenticator. Async: it runs in the
    request's own task, not in a worker thread (a verified token is remembered, so this is a
    dictionary lookup for all but a token's first request)."""
    return runtime(request).current_principal(request, scope)


Caller = Annotated[auth.Principal, Depends(current_principal)]


def role(*roles: str) -> Callable[..., Any]:
    """Dependency: the caller, who must hold one of ``roles``."""
    return auth.require_roles(current_principal, *roles)
