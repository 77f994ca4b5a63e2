"""What a scoped API key may call: every route of every service, decided here and nowhere else.

A key created over the API (``POST /v1/api-keys``, :mod:`services.policy.api.api_keys`) holds the
role ``integrator`` and a set of scopes from :data:`SCOPES`. Each scope names the routes it
opens (method and path template, as the services declare them) and the role the key stands in
for on those routes only (:attr:`Scope.acts_as`: ``tenant_admin`` for the tenant-wide reports,
exports and check-ins, ``integrator`` for notifications and webhooks, which already admit it).
Every other route, including every write a scope does not name, is refused with 403
``scope_required`` before its own role check runs.

:func:`admit` is called by the one principal dependency every route uses
(:func:`services.runtime.auth.principal_dependency`, behind :mod:`services.runtime.deps`), so a
route cannot forget it. Keys without
scopes (made by ``hadir apikey create`` with explicit roles) and bearer tokens pass unchanged.

Guarantee: a scoped key never reaches a route outside its scopes, never reads another tenant
(its tenant is the key's; :mod:`services.runtime.rls` confines it) and never holds a cross-tenant
role (``national_viewer``/``platform_admin`` are not among :attr:`Scope.acts_as`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from services.runtime import errors
from services.runtime.roles import CROSS_TENANT_ROLES

if TYPE_CHECKING:
    from services.runtime.auth import Principal


@dataclass(frozen=True)
class Scope:
    description: str
    routes: frozenset[tuple[str, str]]  # (METHOD, path template)
    acts_as: str


def _get(*paths: str) -> frozenset[tuple[str, str]]:
    return frozenset(("GET", p) for p in paths)


SCOPES: dict[str, Scope] = {
    "reports:read": Scope(
        "Laporan harian dan bulanan / daily and monthly reports (reporting)",
        _get("/v1/reports/daily", "/v1/reports/daily/rows", "/v1/reports/monthly"), "tenant_admin"),
    "exports:read": Scope(
        "Unduhan laporan CSV/XLSX / report downloads (reporting)",
        _get("/v1/reports/daily/export", "/v1/reports/monthly/export"), "tenant_admin"),
    "checkins:read": Scope(
        "Check-in per unit dengan verdiknya / a unit's check-ins with verdicts (checkin)",
        _get("/v1/units/{unit_id}/checkins"), "tenant_admin"),
    "notifications:read": Scope(
        "Notifikasi dan status kirimnya / notifications and their delivery (notify)",
        _get("/v1/notifications", "/v1/notifications/{notification_id}"), "integrator"),
    "events:webhooks": Scope(
        "Langganan webhook / webhook subscriptions (notify)",
        _get("/v1/webhook-event-types", "/v1/webhooks", "/v1/webhooks/{subscription_id}") | {
            ("POST", "/v1/webhooks"), ("PATCH", "/v1/webhooks/{subscription_id}"),
            ("DELETE", "/v1/webhooks/{subscription_id}"),
            ("POST", "/v1/webhooks/{subscription_id}/rotate-secret")}, "integrator"),
}
NAMES = tuple(SCOPES)

assert not {s.acts_as for s in SCOPES.values()} & CROSS_TENANT_ROLES  # a key reads one tenant


def granted(scopes: frozenset[str], method: str, path: str) -> Scope | None:
    """The scope among ``scopes`` that opens ``method path`` (a route's template), else None."""
    method = "GET" if method == "HEAD" else method
    return next((SCOPES[s] for s in sorted(scopes) if s in SCOPES and (method, path) in SCOPES[s].routes), None)


def admit(principal: Principal, method: str, path: str | None) -> Principal:
    """The caller as the route sees it: unchanged when unscoped; a scoped key on a route its scopes
    open, with the role it acts as there added; else 403 ``scope_required``."""
    if principal.scopes is None:
        return principal
    scope = granted(principal.scopes, method, path) if path is not None else None
    if scope is None:
        raise errors.forbidden("scope_required", scopes=", ".join(sorted(principal.scopes)) or "-")
    return replace(principal, roles=principal.roles | {scope.acts_as})
