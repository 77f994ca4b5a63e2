"""Who a person is to notify, and through which channels; what a tenant's messages follow.

A person's wanted channels are their preference, else the service default; a channel
counts only when it is on and the person has an address for it. A notice that no wanted
channel can carry (personal notices and announcements alike) is still recorded, on the
``log`` channel as ``skipped`` with the reason (:func:`Person.unreachable`: ``channel not
configured`` when the deployment has no SMTP/WhatsApp, ``no address`` when the person has
none): never marked ``sent`` when it went nowhere, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.domain.quiet import QuietHours
from services.notify.settings import NotifySettings

NOT_CONFIGURED, NO_ADDRESS, NO_CHANNEL = "channel not configured", "no address", "no channel chosen"


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    unit_id: str | None
    email: str | None = None
    phone: str | None = None
    language: str = "id"
    channels: list[str] = field(default_factory=list)

    def deliveries(self, settings: NotifySettings) -> list[tuple[str, str]]:
        """(channel, address) for every wanted channel that is on and has an address."""
        out: list[tuple[str, str]] = []
        for channel in self.channels or settings.channels:
            if channel == "email" and settings.smtp_enabled and self.email:
                out.append(("email", self.email))
            elif channel == "whatsapp" and settings.whatsapp_enabled and self.phone:
                out.append(("whatsapp", self.phone))
        return out

    def unreachable(self, settings: NotifySettings) -> list[tuple[str, str]]:
        """(channel, reason) for every wanted channel that cannot carry a notice to this person."""
        enabled = {"email": settings.smtp_enabled, "whatsapp": settings.whatsapp_enabled}
        address = {"email": self.email, "whatsapp": self.phone}
        wanted = self.channels or settings.channels
        if not wanted:
            return [("log", NO_CHANNEL)]
        return [(c, NOT_CONFIGURED if not enabled.get(c) else NO_ADDRESS) for c in wanted
                if not (enabled.get(c) and address.get(c))]


def skip_reason(unreachable: list[tuple[str, str]]) -> str:
    """One line for a skipped notice: ``channel not configured (email, whatsapp)``, or each
    channel's own reason when they differ."""
    reasons = {reason for _, reason in unreachable}
    if len(reasons) == 1:
        return f"{reasons.pop()} ({', '.join(c for c, _ in unreachable)})"
    return "; ".join(f"{channel}: {reason}" for channel, reason in unreachable)


@dataclass(frozen=True)
class TenantView:
    id: str
    timezone: str
    quiet: QuietHours | None
    escalate_daily: int
    escalate_weekly: int
    escalate_bkd_days: int = 0
    bkd: tuple[str, ...] = ()
    """NIPs of the people told what goes to the BKD (absences awaiting it, monthly escalations)."""
