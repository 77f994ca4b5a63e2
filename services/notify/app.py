"""Wiring of the notify service: the consumer, the delivery loop and the HTTP API.

``build(notify_settings=...)`` overrides the ``HADIR_NOTIFY_*`` section; the consumer's
handlers, the senders, the delivery loop and every route then use that one object.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.notify import api, channel_status, handlers, retention, sealing, store
from services.notify.channels import webhook
from services.notify.channels.base import Sender
from services.notify.channels.email import EmailSender
from services.notify.channels.log import LogSender
from services.notify.channels.whatsapp import WhatsAppSender
from services.notify.delivery import DeliveryWorker
from services.notify.settings import NotifyServiceSettings, NotifySettings
from services.runtime.retention import schedule as schedule_retention
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings, load_settings

PORT = 8003


def build(settings: Settings | None = None,
          notify_settings: NotifySettings | None = None) -> tuple[FastAPI, ServiceRuntime]:
    settings = NotifyServiceSettings.of(settings or load_settings("notify", PORT))
    ns = notify_settings or settings.notify
    rt = ServiceRuntime(settings, store.Base.metadata, Path(__file__).parent / "migrations")

    logging.getLogger("httpx").setLevel(logging.WARNING)  # each attempt is logged as "delivery attempt"
    client = httpx.AsyncClient(follow_redirects=False, headers={"user-agent": "Hadir-Notify/1"})
    hooks = webhook.client()
    box = sealing.from_settings(ns, settings)
    worker = DeliveryWorker(rt, ns, senders(rt, ns, client, hooks, box))

    async def deliver_forever() -> None:
        try:
            await reseal(rt, box)
            await worker.run()
        finally:
            await client.aclose()
            await hooks.aclose()

    skipped = channel_status.report(rt, ns)
    rt.consume(ns.consumer_group, handlers.subscriptions(rt, ns, worker.wake, skipped))
    rt.loop("delivery", deliver_forever)
    job = schedule_retention(rt, store.Tenant.__table__, retention.REDUCERS)
    app = rt.app(title="Hadir notify",
                 description="Reminders, overdue notices, escalations and signed webhooks; the delivery log")
    app.state.delivery = worker
    app.state.retention = job
    app.state.notify_settings = ns
    app.state.secret_box = box
    for router in api.ROUTERS:
        app.include_router(router)
    return app, rt


async def reseal(rt: ServiceRuntime, box: sealing.SecretBox) -> None:
    """Encrypt what the previous keys (or no key) left; a failure waits for the next start."""
    try:
        await sealing.reseal(rt.sessions, box)
    except Exception as exc:  # noqa: BLE001 — the secrets stay readable; the next start tries again
        logging.getLogger(__name__).warning("webhook secrets not resealed: %r", exc)


def senders(rt: ServiceRuntime, ns: NotifySettings, client: httpx.AsyncClient, hooks: httpx.AsyncClient,
            box: sealing.SecretBox) -> dict[str, Sender]:
    """A sender for every channel the settings turn on (``log`` always, for rows of older versions)."""
    out: dict[str, Sender] = {"log": LogSender()}
    if ns.smtp_enabled:
        out["email"] = EmailSender(ns)
    if ns.whatsapp_enabled:
        out["whatsapp"] = WhatsAppSender(ns, client)
    if ns.webhooks_enabled:
        out["webhook"] = webhook.WebhookSender(ns, hooks, rt.sessions, box)
    return out
