"""Webhook subscriptions of a tenant, managed by its administrators and integrators.

The signing secret (``whsec_…``) is shown once, when created or rotated, and stored
encrypted (:mod:`services.notify.sealing`). Rotating
keeps the previous secret valid for a grace period, during which every delivery is
signed with both. A URL whose host is, or resolves to, an internal address is refused
(422) unless private targets are allowed; a host that does not resolve yet is accepted
(every delivery resolves and checks it again).
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import targets
from services.notify.api.deps import Box, IdPath, Settings
from services.notify.domain import signing, webhooks
from services.notify.domain.addresses import UnsafeTarget
from services.notify.schemas import (
    EventTypeOut,
    Rotated,
    RotateIn,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSecret, WebhookSubscription, utc
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role

router = APIRouter(prefix="/v1", tags=["webhooks"])
Manager = Annotated[Principal, Depends(role("tenant_admin", "integrator"))]


async def load(session: AsyncSession, tenant: str, subscription_id: str) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or row.tenant != tenant:
        raise errors.not_found(errors.text("subscription"))
    return row


async def check_target(url: str, settings: NotifySettings) -> None:
    """422 when ``url`` is or resolves to an internal address (SSRF)."""
    try:
        await targets.vet(url, targets.system_resolve, settings.webhook_allow_private_targets)
    except UnsafeTarget as exc:
        raise errors.invalid(("body", "url"), str(exc)) from exc
    except targets.Unresolvable:
        pass  # not in the DNS yet: every delivery resolves and checks it again


async def out(session: AsyncSession, row: WebhookSubscription) -> SubscriptionOut:
    now = datetime.now(UTC)
    valid = (await session.scalars(select(WebhookSecret.id).where(
        WebhookSecret.subscription_id == row.id,
        or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now)))).all()
    return SubscriptionOut(id=row.id, url=row.url, event_types=list(row.event_types), description=row.description,
                           active=row.active, disabled_reason=row.disabled_reason,
                           created_at=utc(row.created_at), updated_at=utc(row.updated_at),
                           secrets_valid=len(valid))


@router.get("/webhook-event-types", response_model=list[EventTypeOut],
            summary="Jenis event webhook / the event types a webhook can subscribe to")
async def event_types(principal: Manager) -> list[EventTypeOut]:
    """Every event type a subscription may name in `event_types`, with what it means."""
    return [EventTypeOut(type=t, description=d) for t, d in webhooks.EVENT_TYPES.items()]


@router.post("/webhooks", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated,
             summary="Buat langganan webhook / create a webhook subscription")
async def create(body: SubscriptionIn, rt: Runtime, settings: Settings, box: Box,
                 principal: Manager) -> SubscriptionCreated:
    """Subscribes a URL to event types of the caller's tenant. The answer carries the signing secret
    (`whsec_...`) once; it is stored encrypted and never shown again (rotate it to get a new one). A URL whose host
    is or resolves to an internal address is refused (422) unless private targets are allowed. Tenant admin or
    integrator."""
    tenant = principal.require_tenant()
    await check_target(body.url, settings)
    now = datetime.now(UTC)
    secret = signing.new_secret()
    async with rt.sessions() as session, session.begin():
        row = WebhookSubscription(id=str(uuid.uuid4()), tenant=tenant, url=body.url,
                                  event_types=body.event_types, description=body.description, active=True,
                                  created_by=principal.subject, created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
        session.add(WebhookSecret(subscription_id=row.id, secret=box.seal(secret), created_at=now))
        await session.flush()
        result = await out(session, row)
    return SubscriptionCreated(**result.model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[SubscriptionOut],
            summary="Daftar langganan webhook / the tenant's webhook subscriptions")
async def list_(rt: Runtime, principal: Manager) -> list[SubscriptionOut]:
    """Every subscription of the caller's tenant, oldest first, without secrets."""
    async with rt.sessions() as session:
        rows = (await session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.tenant == principal.require_tenant())
            .order_by(WebhookSubscription.created_at))).all()
        return [await out(session, r) for r in rows]


@router.get("/webhooks/{subscription_id}", response_model=SubscriptionOut,
            summary="Satu langganan webhook / one webhook subscription")
async def get(subscription_id: IdPath, rt: Runtime, principal: Manager) -> SubscriptionOut:
    """One subscription of the caller's tenant, without its secret; 404 when there is none with this id."""
    async with rt.sessions() as session:
        return await out(session, await load(session, principal.require_tenant(), subscription_id))


@router.patch("/webhooks/{subscription_id}", response_model=SubscriptionOut,
              summary="Ubah langganan webhook / change a webhook subscription")
async def patch(subscription_id: IdPath, body: SubscriptionPatch, rt: Runtime, settings: Settings,
                principal: Manager) -> SubscriptionOut:
    """Changes the fields sent (URL, event types, description, `active`); fields left out stay as they are.
    Re-activating clears the reason it was disabled. A new URL is checked as on creation."""
    if body.url is not None:
        await check_target(body.url, settings)
    async with rt.sessions() as session, session.begin():
        row = await load(session, principal.require_tenant(), subscription_id)
        changes = body.model_dump(exclude_none=True)
        for name, value in changes.items():
            setattr(row, name, value)
        if changes.get("active"):
            row.disabled_reason = None
        row.updated_at = datetime.now(UTC)
        await session.flush()
        return await out(session, row)


@router.delete("/webhooks/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Hapus langganan webhook / delete a webhook subscription")
async def remove(subscription_id: IdPath, rt: Runtime, principal: Manager) -> Response:
    """Deletes the subscription and its secrets; nothing more is delivered to it. 204 on success."""
    async with rt.sessions() as session, session.begin():
        row = await load(session, principal.require_tenant(), subscription_id)
        await session.execute(delete(WebhookSecret).where(WebhookSecret.subscription_id == row.id))
        await session.delete(row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/webhooks/{subscription_id}/rotate-secret", response_model=Rotated,
             summary="New secret now; the previous ones stay valid for the grace period")
async def rotate(subscription_id: IdPath, rt: Runtime, settings: Settings, box: Box, principal: Manager,
                 body: RotateIn | None = None) -> Rotated:
    """Issues a new signing secret (shown once in the answer). The previous secrets stay valid for `grace_seconds`
    (default: the service's rotation grace), during which every delivery carries both signatures."""
    now = datetime.now(UTC)
    grace = settings.webhook_rotation_grace_seconds
    if body is not None and body.grace_seconds is not None:
        grace = body.grace_seconds
    until = now + timedelta(seconds=grace)
    secret = signing.new_secret()
    async with rt.sessions() as session, session.begin():
        row = await load(session, principal.require_tenant(), subscription_id)
        await session.execute(
            update(WebhookSecret)
            .where(WebhookSecret.subscription_id == row.id,
                   or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > until))
            .values(expires_at=until))
        session.add(WebhookSecret(subscription_id=row.id, secret=box.seal(secret), created_at=now))
    return Rotated(secret=secret, previous_valid_until=until)
