"""Which channels to people this deployment can use, said where operators look.

With no SMTP host (``HADIR_NOTIFY_SMTP_HOST``) or no complete WhatsApp configuration
(``HADIR_NOTIFY_WHATSAPP_*``), a notice wanting that channel is recorded ``skipped`` with the
reason ``channel not configured`` (:mod:`services.notify.domain.people`). This module makes that
visible before anyone reads the delivery log:

- ``/readyz`` lists the unconfigured channels under ``warnings.channels`` (and disabled webhooks
  under ``warnings.webhooks``); the answer stays 200: the service works, it just reaches nobody
  on those channels;
- ``hadir_notify_channel_configured{channel}`` is 1 or 0 for ``email``, ``whatsapp``, ``webhook``;
- ``hadir_notify_skipped_total{channel, reason}`` counts skipped notices by wanted channel and
  reason (``channel not configured``, ``no address``, ``no channel chosen``), once committed;
- one warning in the log at start.
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter, Gauge

from services.notify.settings import NotifySettings
from services.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


def unconfigured(settings: NotifySettings) -> list[str]:
    """The channels to people that are off."""
    on = {"email": settings.smtp_enabled, "whatsapp": settings.whatsapp_enabled}
    return [channel for channel, enabled in on.items() if not enabled]


def report(rt: ServiceRuntime, settings: NotifySettings) -> Counter:
    """Publish the channels' configuration (readiness, gauge, log); the skipped-notices counter."""
    configured = Gauge("hadir_notify_channel_configured", "1 when the channel is configured, else 0",
                       ["channel"], registry=rt.registry)
    skipped = Counter("hadir_notify_skipped", "Notices recorded as skipped, by wanted channel and reason",
                      ["channel", "reason"], registry=rt.registry)
    off = unconfigured(settings)
    for channel in ("email", "whatsapp"):
        configured.labels(channel).set(0 if channel in off else 1)
    configured.labels("webhook").set(1 if settings.webhooks_enabled else 0)
    if off:
        rt.readiness_warnings["channels"] = (f"not configured: {', '.join(off)}; notices wanting them are recorded "
                                             "as skipped (channel not configured)")
        log.warning("notification channels not configured: notices wanting them are recorded as skipped",
                    channels=off)
    if not settings.webhooks_enabled:
        rt.readiness_warnings["webhooks"] = "disabled (HADIR_NOTIFY_WEBHOOKS_ENABLED=false): no webhook is sent"
    return skipped
